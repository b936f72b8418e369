// scipy's L-BFGS-B for a problem without bounds: scikit-learn's solver='lbfgs' calls
// scipy.optimize.minimize(method="L-BFGS-B", jac=True, options={"maxfun", "maxiter", "gtol"}), and
// this is that algorithm, ported from scipy 1.17's scipy/optimize/__lbfgsb.c (setulb/mainlb and the
// routines they call, with MINPACK-2's dcsrch/dcstep line search) and driven as
// scipy/optimize/_lbfgsb_py.py drives it, so that the same function gives the same steps, the same
// iteration and evaluation counts and the same stop (hence the same ConvergenceWarning).
//
// Without bounds every variable is free and stays free, which leaves of L-BFGS-B:
//   - with no correction pairs (the first iteration, or after the memory is refreshed), the generalized
//     Cauchy point is x - g (B = theta*I, theta = 1): `cauchy` finds no breakpoint;
//   - with pairs, the subspace minimisation over all variables: the direction -B^-1 g from the compact
//     representation of B (`formk` factorises its middle matrix K, `subsm` solves with it);
//   - the search direction d = z - x, a line search (`lnsrlb` + `dcsrch`, ftol 1e-3, gtol 0.9,
//     xtol 0.1, stpmax 1e10) whose first trial is min(1/||d||, stpmax) on the very first iteration and 1
//     afterwards, at most maxls evaluations; a failed search refreshes the memory and retries from the
//     Cauchy direction, and ends the run (ABNORMAL) when it fails with an empty memory;
//   - the pair (s, y) stored unless s'y <= eps * (-g'd) (theta = y'y / s'y), m pairs kept.
// What bounds would add (breakpoints, active sets, projections) is left out; the arithmetic of what
// remains follows the C source operation by operation, except that sums over the n variables may add in
// another order than the BLAS scipy links (the last bits may differ).
//
// The driver's order of tests matters for what a caller sees: after each accepted step the iteration is
// counted, then max_iter (nit >= maxiter) and max_fun (nfev > maxfun) stop the run (status 1), and only
// then the projected-gradient test (max |g_i| <= gtol) and the relative decrease test
// ((f_old - f) / max(|f_old|, |f|, 1) <= ftol) end it as converged (status 0). nfev counts evaluations
// as scipy's ScalarFunction does: a point equal to the last one evaluated is not evaluated again.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Core>

namespace gradkit::train::lbfgsb {

// epsmach in __lbfgsb.c: np.finfo(np.float64).eps.
inline constexpr double kEpsMach = 2.220446049250313e-16;

// ----------------------------------------------------------------------------------------------------
// MINPACK-2's line search (dcsrch and dcstep in __lbfgsb.c; scipy/optimize/_dcsrch.py is the same
// algorithm in Python). It finds a step satisfying the strong Wolfe conditions
// f(stp) <= f(0) + ftol*stp*f'(0) and |f'(stp)| <= gtol*|f'(0)|, by reverse communication: the caller
// evaluates f and f' at each step it is given.

enum class SearchTask {
    fg,           // evaluate f and f' at the new stp and call iterate
    convergence,  // stp satisfies both conditions
    warning,      // no progress possible (rounding, xtol, stpmax or stpmin): stp is the best found
    error,        // start() was given arguments dcsrch refuses (a step outside [stpmin, stpmax] or f'(0) >= 0)
};

namespace detail {

// dcstep: a safeguarded step from the interval [stx, sty] (brackt) or beyond it, and the interval's update.
inline void dcstep(double& stx, double& fx, double& dx, double& sty, double& fy, double& dy, double& stp, double fp,
                   double dp, bool& brackt, double stpmin, double stpmax) {
    const double sgnd = dp * (dx / std::fabs(dx));
    double stpf;
    if (fp > fx) {
        // A higher function value: the minimum is bracketed. Cubic or quadratic step, whichever is closer.
        const double theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp;
        const double s = std::fmax(std::fabs(theta), std::fmax(std::fabs(dx), std::fabs(dp)));
        double gamma = s * std::sqrt(std::pow(theta / s, 2.0) - (dx / s) * (dp / s));
        if (stp < stx) gamma = -gamma;
        const double p = (gamma - dx) + theta;
        const double q = ((gamma - dx) + gamma) + dp;
        const double r = p / q;
        const double stpc = stx + r * (stp - stx);
        const double stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx);
        stpf = std::fabs(stpc - stx) < std::fabs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2.0;
        brackt = true;
    } else if (sgnd < 0.0) {
        // Derivatives of opposite sign: bracketed. Cubic or secant step, whichever is farther.
        const double theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp;
        const double s = std::fmax(std::fabs(theta), std::fmax(std::fabs(dx), std::fabs(dp)));
        double gamma = s * std::sqrt(std::pow(theta / s, 2.0) - (dx / s) * (dp / s));
        if (stp > stx) gamma = -gamma;
        const double p = (gamma - dp) + theta;
        const double q = ((gamma - dp) + gamma) + dx;
        const double r = p / q;
        const double stpc = stp + r * (stx - stp);
        const double stpq = stp + (dp / (dp - dx)) * (stx - stp);
        stpf = std::fabs(stpc - stp) > std::fabs(stpq - stp) ? stpc : stpq;
        brackt = true;
    } else if (std::fabs(dp) < std::fabs(dx)) {
        // Same sign, the derivative's magnitude decreases: the cubic step only if it goes the right way.
        const double theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp;
        const double s = std::fmax(std::fabs(theta), std::fmax(std::fabs(dx), std::fabs(dp)));
        double gamma = s * std::sqrt(std::fmax(0.0, std::pow(theta / s, 2.0) - (dx / s) * (dp / s)));
        if (stp > stx) gamma = -gamma;
        const double p = (gamma - dp) + theta;
        const double q = (gamma + (dx - dp)) + gamma;
        const double r = p / q;
        double stpc;
        if (r < 0.0 && gamma != 0.0) {
            stpc = stp + r * (stx - stp);
        } else if (stp > stx) {
            stpc = stpmax;
        } else {
            stpc = stpmin;
        }
        const double stpq = stp + (dp / (dp - dx)) * (stx - stp);
        if (brackt) {
            stpf = std::fabs(stpc - stp) < std::fabs(stpq - stp) ? stpc : stpq;
            if (stp > stx) {
                stpf = std::fmin(stp + 0.66 * (sty - stp), stpf);
            } else {
                stpf = std::fmax(stp + 0.66 * (sty - stp), stpf);
            }
        } else {
            stpf = std::fabs(stpc - stp) > std::fabs(stpq - stp) ? stpc : stpq;
            stpf = std::fmin(stpmax, stpf);
            stpf = std::fmax(stpmin, stpf);
        }
    } else {
        // Same sign, the derivative's magnitude does not decrease.
        if (brackt) {
            const double theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp;
            const double s = std::fmax(std::fabs(theta), std::fmax(std::fabs(dy), std::fabs(dp)));
            double gamma = s * std::sqrt(std::pow(theta / s, 2.0) - (dy / s) * (dp / s));
            if (stp > sty) gamma = -gamma;
            const double p = (gamma - dp) + theta;
            const double q = ((gamma - dp) + gamma) + dy;
            const double r = p / q;
            stpf = stp + r * (sty - stp);
        } else if (stp > stx) {
            stpf = stpmax;
        } else {
            stpf = stpmin;
        }
    }
    if (fp > fx) {
        sty = stp;
        fy = fp;
        dy = dp;
    } else {
        if (sgnd < 0.0) {
            sty = stx;
            fy = fx;
            dy = dx;
        }
        stx = stp;
        fx = fp;
        dx = dp;
    }
    stp = stpf;
}

}  // namespace detail

class Dcsrch {
public:
    Dcsrch(double ftol, double gtol, double xtol, double stpmin, double stpmax)
        : ftol_(ftol), gtol_(gtol), xtol_(xtol), stpmin_(stpmin), stpmax_(stpmax) {}

    // dcsrch's task 'START': f and g = f'(0) at step 0, stp the first trial. Returns fg (evaluate at stp).
    SearchTask start(double f, double g, double& stp) {
        if (stp < stpmin_ || stp > stpmax_ || g >= 0.0 || ftol_ < 0.0 || gtol_ < 0.0 || xtol_ < 0.0 || stpmin_ < 0.0 ||
            stpmax_ < stpmin_)
            return SearchTask::error;
        brackt_ = false;
        stage_ = 1;
        finit_ = f;
        ginit_ = g;
        gtest_ = ftol_ * ginit_;
        width_ = stpmax_ - stpmin_;
        width1_ = width_ / 0.5;
        stx_ = 0.0;
        fx_ = finit_;
        gx_ = ginit_;
        sty_ = 0.0;
        fy_ = finit_;
        gy_ = ginit_;
        stmin_ = 0.0;
        stmax_ = stp + kXtrapu * stp;
        return SearchTask::fg;
    }

    // f and g = f'(stp) at the step last asked for. On fg, stp is the next trial; otherwise it is the result.
    SearchTask iterate(double f, double g, double& stp) {
        const double ftest = finit_ + stp * gtest_;
        if (stage_ == 1 && f <= ftest && g >= 0.0) stage_ = 2;
        SearchTask task = SearchTask::fg;
        if (brackt_ && (stp <= stmin_ || stp >= stmax_)) task = SearchTask::warning;  // rounding errors
        if (brackt_ && stmax_ - stmin_ <= xtol_ * stmax_) task = SearchTask::warning;  // xtol
        if (stp == stpmax_ && f <= ftest && g <= gtest_) task = SearchTask::warning;  // stp = stpmax
        if (stp == stpmin_ && (f > ftest || g >= gtest_)) task = SearchTask::warning;  // stp = stpmin
        if (f <= ftest && std::fabs(g) <= gtol_ * (-ginit_)) task = SearchTask::convergence;
        if (task != SearchTask::fg) return task;

        // In the first stage, while the sufficient decrease does not hold, step on the modified function
        // f(stp) - stp*gtest (its derivative decreasing toward the minimum).
        if (stage_ == 1 && f <= fx_ && f > ftest) {
            const double fm = f - stp * gtest_;
            double fxm = fx_ - stx_ * gtest_;
            double fym = fy_ - sty_ * gtest_;
            const double gm = g - gtest_;
            double gxm = gx_ - gtest_;
            double gym = gy_ - gtest_;
            detail::dcstep(stx_, fxm, gxm, sty_, fym, gym, stp, fm, gm, brackt_, stmin_, stmax_);
            fx_ = fxm + stx_ * gtest_;
            fy_ = fym + sty_ * gtest_;
            gx_ = gxm + gtest_;
            gy_ = gym + gtest_;
        } else {
            detail::dcstep(stx_, fx_, gx_, sty_, fy_, gy_, stp, f, g, brackt_, stmin_, stmax_);
        }
        // Bisect when the interval does not shrink enough.
        if (brackt_) {
            if (std::fabs(sty_ - stx_) >= 0.66 * width1_) stp = stx_ + 0.5 * (sty_ - stx_);
            width1_ = width_;
            width_ = std::fabs(sty_ - stx_);
        }
        if (brackt_) {
            stmin_ = std::fmin(stx_, sty_);
            stmax_ = std::fmax(stx_, sty_);
        } else {
            stmin_ = stp + kXtrapl * (stp - stx_);
            stmax_ = stp + kXtrapu * (stp - stx_);
        }
        stp = std::fmax(stp, stpmin_);
        stp = std::fmin(stp, stpmax_);
        // No further progress possible: take the best step found so far.
        if ((brackt_ && (stp <= stmin_ || stp >= stmax_)) || (brackt_ && stmax_ - stmin_ <= xtol_ * stmax_)) stp = stx_;
        return SearchTask::fg;
    }

private:
    static constexpr double kXtrapl = 1.1;
    static constexpr double kXtrapu = 4.0;
    double ftol_, gtol_, xtol_, stpmin_, stpmax_;
    bool brackt_ = false;
    int stage_ = 1;
    double finit_ = 0, ginit_ = 0, gtest_ = 0, fx_ = 0, gx_ = 0, fy_ = 0, gy_ = 0;
    double stx_ = 0, sty_ = 0, stmin_ = 0, stmax_ = 0, width_ = 0, width1_ = 0;
};

// ----------------------------------------------------------------------------------------------------
// The solver.

struct Options {
    std::size_t m = 10;                     // maxcor: correction pairs kept
    double ftol = 2.2204460492503131e-09;   // relative decrease that ends the run (factr * eps)
    double gtol = 1e-5;                     // pgtol: largest |g_i| that ends the run
    std::int64_t maxiter = 15000;
    std::int64_t maxfun = 15000;
    std::int64_t maxls = 20;                // evaluations per line search
};

enum class Stop {
    gradient,            // CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL
    relative_reduction,  // CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH
    max_iter,            // STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT
    max_fun,             // STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT
    abnormal,            // ABNORMAL: the line search failed with no correction pairs left to drop
};

// scipy's OptimizeResult.message for each stop.
inline const char* stop_message(Stop stop) {
    switch (stop) {
        case Stop::gradient: return "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL";
        case Stop::relative_reduction: return "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH";
        case Stop::max_iter: return "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT";
        case Stop::max_fun: return "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT";
        case Stop::abnormal: break;
    }
    return "ABNORMAL: ";
}

struct Result {
    double f = 0.0;          // scipy's fun: the last value evaluated (after an ABNORMAL stop, a failed trial's)
    std::int64_t nit = 0;    // iterations (accepted steps)
    std::int64_t nfev = 0;   // evaluations of f and g
    int status = 0;          // 0 converged, 1 max_iter or max_fun reached, 2 otherwise (scipy's warnflag)
    Stop stop = Stop::gradient;
};

namespace detail {

using ConstVec = Eigen::Map<const Eigen::VectorXd>;

inline double dot(const double* a, const double* b, std::size_t n) {
    return ConstVec(a, static_cast<Eigen::Index>(n)).dot(ConstVec(b, static_cast<Eigen::Index>(n)));
}

inline double nrm2(const double* a, std::size_t n) {
    return std::sqrt(ConstVec(a, static_cast<Eigen::Index>(n)).squaredNorm());
}

// Cholesky factorisation A = U'U of the leading k x k block of a column-major matrix (leading dimension
// ld), upper triangle in place, as LAPACK's dpotrf(uplo='U'). False when A is not positive definite.
inline bool potrf_upper(double* a, std::size_t k, std::size_t ld) {
    for (std::size_t j = 0; j < k; ++j) {
        double ajj = a[j + ld * j] - dot(&a[ld * j], &a[ld * j], j);
        if (!(ajj > 0.0)) return false;
        ajj = std::sqrt(ajj);
        a[j + ld * j] = ajj;
        const double inv = 1.0 / ajj;
        for (std::size_t i = j + 1; i < k; ++i) a[j + ld * i] = (a[j + ld * i] - dot(&a[ld * j], &a[ld * i], j)) * inv;
    }
    return true;
}

// Solves U' X = B in place for the k x cols block B at b (LAPACK's dtrtrs('U', 'T', 'N'), U upper k x k).
inline void trsm_upper_trans(const double* u, std::size_t k, std::size_t ld, double* b, std::size_t cols,
                             std::size_t ldb) {
    for (std::size_t c = 0; c < cols; ++c) {
        double* bc = b + ldb * c;
        for (std::size_t i = 0; i < k; ++i) {
            double temp = bc[i];
            for (std::size_t p = 0; p < i; ++p) temp -= u[p + ld * i] * bc[p];
            bc[i] = temp / u[i + ld * i];
        }
    }
}

// Solves U x = b in place (dtrtrs('U', 'N', 'N') with one right-hand side).
inline void trsv_upper(const double* u, std::size_t k, std::size_t ld, double* b) {
    for (std::size_t kk = k; kk-- > 0;) {
        if (b[kk] != 0.0) {
            b[kk] /= u[kk + ld * kk];
            const double temp = b[kk];
            for (std::size_t i = 0; i < kk; ++i) b[i] -= temp * u[i + ld * kk];
        }
    }
}

// dtrtrs refuses a triangle with an exact zero on its diagonal.
inline bool nonsingular(const double* u, std::size_t k, std::size_t ld) {
    for (std::size_t i = 0; i < k; ++i)
        if (u[i + ld * i] == 0.0) return false;
    return true;
}

// projgr without bounds: max |g_i|, or the first NaN met.
inline double projected_gradient_norm(const double* g, std::size_t n) {
    double norm = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (g[i] != g[i]) return g[i];
        norm = std::fmax(norm, std::fabs(g[i]));
    }
    return norm;
}

// The limited-memory matrix: S and Y (m columns of n, a ring from `head`, `col` of them in use), S'Y
// (lower triangle: sy(i, j) = s_i'y_j for i >= j), S'S (upper triangle), theta, and the factorisation
// of the middle matrix K that subsm solves with (wn, 2m x 2m, built from wn1 by formk). All
// column-major as in __lbfgsb.c, so that the indices below read as there.
class Memory {
public:
    Memory(std::size_t n, std::size_t m)
        : n_(n), m_(m), ws_(m * n), wy_(m * n), sy_(m * m), ss_(m * m), wt_(m * m), wn_(4 * m * m), wn1_(4 * m * m),
          wv_(2 * m) {}

    std::size_t col() const { return col_; }
    double theta() const { return theta_; }

    // The memory refreshed after a failed factorisation or line search.
    void reset() {
        col_ = 0;
        head_ = 0;
        theta_ = 1.0;
        iupdat_ = 0;
    }

    // matupd + formt: stores s = d and y = r (d already scaled by stp). False when T = theta*S'S +
    // L*D^-1*L' is not positive definite (the caller then refreshes the memory).
    bool update(const double* d, const double* r, double rr, double dr, double stp, double dtd) {
        const std::size_t n = n_, m = m_;
        ++iupdat_;
        if (iupdat_ <= m) {
            col_ = iupdat_;
            itail_ = (head_ + iupdat_ - 1) % m;
        } else {
            itail_ = (itail_ + 1) % m;
            head_ = (head_ + 1) % m;
        }
        std::copy(d, d + n, &ws_[itail_ * n]);
        std::copy(r, r + n, &wy_[itail_ * n]);
        theta_ = rr / dr;
        const std::size_t col = col_;
        if (iupdat_ > m) {
            // Drop the oldest pair: S'S's upper and S'Y's lower triangle move up-left by one.
            for (std::size_t j = 1; j < col; ++j) {
                std::copy(&ss_[1 + m * j], &ss_[1 + m * j] + j, &ss_[m * (j - 1)]);
                std::copy(&sy_[j + m * j], &sy_[j + m * j] + (col - j), &sy_[(j - 1) + m * (j - 1)]);
            }
        }
        std::size_t pointr = head_;
        for (std::size_t j = 0; j + 1 < col; ++j) {
            sy_[(col - 1) + m * j] = dot(d, &wy_[pointr * n], n);
            ss_[j + m * (col - 1)] = dot(&ws_[pointr * n], d, n);
            pointr = (pointr + 1) % m;
        }
        ss_[(col - 1) + m * (col - 1)] = stp == 1.0 ? dtd : stp * stp * dtd;
        sy_[(col - 1) + m * (col - 1)] = dr;

        // formt: T's upper triangle in wt, then its Cholesky factor. Only bounds use T (in the Cauchy
        // point's search); without them it still decides, as in scipy, whether the memory is kept.
        for (std::size_t j = 0; j < col; ++j) wt_[m * j] = theta_ * ss_[m * j];
        for (std::size_t i = 1; i < col; ++i)
            for (std::size_t j = i; j < col; ++j) {
                double ddum = 0.0;
                for (std::size_t k = 0; k < i; ++k) ddum = ddum + ((sy_[i + m * k] * sy_[j + m * k]) / sy_[k + m * k]);
                wt_[i + m * j] = ddum + theta_ * ss_[i + m * j];
            }
        return potrf_upper(wt_.data(), col, m);
    }

    // formk with every variable free, after an update: the new pair's row of Y'Y and column of S'Y go
    // into wn1 (the older entries move up-left once the memory is full), then the middle matrix
    // K = [-D - Y'Y/theta, -R'; -R, 0] (R the upper triangle of S'Y; bounds would fill the zero block)
    // is factorised as L E L' into wn's upper triangle. False when a factor is not positive definite.
    bool factor() {
        const std::size_t n = n_, m = m_, m2 = 2 * m, col = col_;
        double* wn1 = wn1_.data();
        double* wn = wn_.data();
        if (iupdat_ > m) {
            // Shift the old part of wn1 up-left by one pair.
            for (std::size_t jy = 0; jy + 1 < m; ++jy) {
                const std::size_t js = m + jy;
                const std::size_t len = m - (jy + 1);
                std::copy(&wn1[(jy + 1) + m2 * (jy + 1)], &wn1[(jy + 1) + m2 * (jy + 1)] + len, &wn1[jy + m2 * jy]);
                std::copy(&wn1[(js + 1) + m2 * (js + 1)], &wn1[(js + 1) + m2 * (js + 1)] + len, &wn1[js + m2 * js]);
                std::copy(&wn1[(m + 1) + m2 * (jy + 1)], &wn1[(m + 1) + m2 * (jy + 1)] + (m - 1), &wn1[m + m2 * jy]);
            }
        }
        // The new pair's row of Y'Y, and zeros where sums over the (empty) active set go.
        {
            const std::size_t iy = col - 1, is = m + col - 1;
            std::size_t ipntr = (head_ + col - 1) % m, jpntr = head_;
            for (std::size_t jy = 0; jy < col; ++jy) {
                const std::size_t js = m + jy;
                wn1[iy + m2 * jy] = dot(&wy_[ipntr * n], &wy_[jpntr * n], n);
                wn1[is + m2 * js] = 0.0;
                wn1[is + m2 * jy] = 0.0;
                jpntr = (jpntr + 1) % m;
            }
        }
        // The new pair's column of S'Y.
        {
            const std::size_t jy = col - 1;
            const std::size_t jpntr = (head_ + col - 1) % m;
            std::size_t ipntr = head_;
            for (std::size_t i = 0; i < col; ++i) {
                wn1[(m + i) + m2 * jy] = dot(&ws_[ipntr * n], &wy_[jpntr * n], n);
                ipntr = (ipntr + 1) % m;
            }
        }
        // (formk's corrections for variables entering or leaving the free set add nothing here.)
        for (std::size_t iy = 0; iy < col; ++iy) {
            const std::size_t is = col + iy, is1 = m + iy;
            for (std::size_t jy = 0; jy <= iy; ++jy) {
                const std::size_t js = col + jy, js1 = m + jy;
                wn[jy + m2 * iy] = wn1[iy + m2 * jy] / theta_;
                wn[js + m2 * is] = wn1[is1 + m2 * js1] * theta_;
            }
            for (std::size_t jy = 0; jy < iy; ++jy) wn[jy + m2 * is] = -wn1[is1 + m2 * jy];
            for (std::size_t jy = iy; jy < col; ++jy) wn[jy + m2 * is] = wn1[is1 + m2 * jy];
            wn[iy + m2 * iy] = wn[iy + m2 * iy] + sy_[iy + m * iy];
        }
        if (!potrf_upper(wn, col, m2)) return false;
        trsm_upper_trans(wn, col, m2, &wn[m2 * col], col, m2);
        for (std::size_t is = col; is < 2 * col; ++is)
            for (std::size_t js = is; js < 2 * col; ++js)
                wn[is + m2 * js] = wn[is + m2 * js] + dot(&wn[m2 * is], &wn[m2 * js], col);
        return potrf_upper(&wn[col + m2 * col], col, m2);
    }

    // subsm over all variables: d = -g on entry, the direction -B^-1 g on return. False when K's factor
    // is singular.
    bool solve(double* d) {
        const std::size_t n = n_, m = m_, m2 = 2 * m, col = col_, col2 = 2 * col;
        double* wv = wv_.data();
        std::size_t pointr = head_;
        for (std::size_t i = 0; i < col; ++i) {
            wv[i] = dot(&wy_[pointr * n], d, n);
            wv[col + i] = theta_ * dot(&ws_[pointr * n], d, n);
            pointr = (pointr + 1) % m;
        }
        if (!nonsingular(wn_.data(), col2, m2)) return false;
        trsm_upper_trans(wn_.data(), col2, m2, wv, 1, m2);
        for (std::size_t i = 0; i < col; ++i) wv[i] = -wv[i];
        trsv_upper(wn_.data(), col2, m2, wv);
        pointr = head_;
        for (std::size_t jy = 0; jy < col; ++jy) {
            const std::size_t js = col + jy;
            const double* wy = &wy_[pointr * n];
            const double* ws = &ws_[pointr * n];
            const double a = wv[jy], b = wv[js];
            for (std::size_t i = 0; i < n; ++i) d[i] = d[i] + (wy[i] * a / theta_) + (ws[i] * b);
            pointr = (pointr + 1) % m;
        }
        const double scale = 1.0 / theta_;
        for (std::size_t i = 0; i < n; ++i) d[i] *= scale;
        return true;
    }

private:
    std::size_t n_, m_;
    std::size_t col_ = 0, head_ = 0, itail_ = 0, iupdat_ = 0;
    double theta_ = 1.0;
    std::vector<double> ws_, wy_, sy_, ss_, wt_, wn_, wn1_, wv_;
};

}  // namespace detail

// The point a function sees when it is evaluated at x: x itself.
struct Exact {
    double operator()(double v) const { return v; }
};

// Minimises f from x (n values, overwritten with the result). loss_grad(const double* x, double* g)
// returns f(x) and writes its gradient to g. `seen` says what the function makes of each coordinate:
// scipy evaluates a float32 x0's function at x rounded to float32 (ScalarFunction keeps x0's dtype),
// and compares the next point with that rounded one when it decides whether to evaluate again.
template <class LossGrad, class Seen = Exact>
Result minimize(LossGrad&& loss_grad, double* x, std::size_t n, const Options& opt, Seen seen = Seen{}) {
    const std::size_t m = std::max<std::size_t>(opt.m, 1);
    // scipy passes factr = ftol / eps and L-BFGS-B tests against factr * epsmach.
    const double tol = (opt.ftol / kEpsMach) * kEpsMach;
    const double pgtol = opt.gtol;
    std::vector<double> g(n), z(n), r(n), d(n), t(n);
    detail::Memory memory(n, m);

    // The driver's evaluations: a point equal to the last one evaluated is not evaluated again
    // (ScalarFunction compares with np.array_equal, so a NaN is always evaluated again).
    std::vector<double> x_eval(n), g_eval(n);
    double f_eval = 0.0;
    bool evaluated = false;
    Result res;
    auto evaluate = [&]() {
        bool same = evaluated;
        for (std::size_t i = 0; same && i < n; ++i) same = x[i] == x_eval[i];
        if (!same) {
            f_eval = loss_grad(static_cast<const double*>(x), g_eval.data());
            for (std::size_t i = 0; i < n; ++i) x_eval[i] = seen(x[i]);
            evaluated = true;
            ++res.nfev;
        }
        std::copy(g_eval.begin(), g_eval.end(), g.begin());
        return f_eval;
    };
    auto finish = [&](Stop stop) {
        res.stop = stop;
        res.f = f_eval;
        if (stop == Stop::gradient || stop == Stop::relative_reduction) {
            res.status = 0;
        } else if (res.nfev > opt.maxfun || res.nit >= opt.maxiter) {
            res.status = 1;
        } else {
            res.status = 2;
        }
        return res;
    };

    double f = evaluate();
    double sbgnrm = detail::projected_gradient_norm(g.data(), n);
    if (sbgnrm <= pgtol) return finish(Stop::gradient);

    std::int64_t iter = 0;  // mainlb's count: only the first iteration starts its line search at 1/||d||
    bool updated = false;   // whether the last iteration added a pair (then K is factorised again)
    for (;;) {
        // The point z the step heads for.
        if (memory.col() > 0) {
            // Subspace minimisation: z = x - B^-1 g.
            if (updated && !memory.factor()) {
                memory.reset();
                updated = false;
                continue;
            }
            for (std::size_t i = 0; i < n; ++i) r[i] = -g[i];
            if (!memory.solve(r.data())) {
                memory.reset();
                updated = false;
                continue;
            }
            for (std::size_t i = 0; i < n; ++i) z[i] = x[i] + r[i];
        } else {
            // The generalized Cauchy point with B = theta*I and no breakpoints: x + dtm*(-g), dtm = 1
            // unless the sum of squares is 0 or overflows, computed as `cauchy` does.
            if (sbgnrm <= 0.0) {
                std::copy(x, x + n, z.begin());
            } else {
                const double f1 = -detail::ConstVec(g.data(), static_cast<Eigen::Index>(n)).squaredNorm();
                const double f2 = -memory.theta() * f1;
                double dtm = -f1 / f2;
                if (dtm <= 0.0) dtm = 0.0;
                const double tsum = 0.0 + dtm;
                for (std::size_t i = 0; i < n; ++i) z[i] = x[i] + tsum * -g[i];
            }
        }
        for (std::size_t i = 0; i < n; ++i) d[i] = z[i] - x[i];

        // lnsrlb: the line search from x along d.
        const double dnorm = detail::nrm2(d.data(), n);
        const double dtd = std::pow(dnorm, 2.0);
        const double stpmx = 1.0e10;
        double stp = iter == 0 ? std::fmin(1.0 / dnorm, stpmx) : 1.0;
        std::copy(x, x + n, t.begin());
        std::copy(g.begin(), g.end(), r.begin());
        const double fold = f;
        Dcsrch search(1e-3, 0.9, 0.1, 0.0, stpmx);
        std::int64_t ifun = 0;
        double gd = 0.0, gdold = 0.0;
        bool failed = false;
        for (;;) {
            gd = detail::dot(g.data(), d.data(), n);
            SearchTask task;
            if (ifun == 0) {
                gdold = gd;
                if (gd >= 0.0) {  // not a descent direction
                    failed = true;
                    break;
                }
                task = search.start(f, gd, stp);
            } else {
                task = search.iterate(f, gd, stp);
            }
            if (task == SearchTask::convergence || task == SearchTask::warning) break;
            // fg (and error, which lnsrlb treats alike: start() cannot refuse what lnsrlb passes it)
            ++ifun;
            if (ifun - 1 >= opt.maxls) {  // iback >= maxls: this trial is not evaluated
                failed = true;
                break;
            }
            if (stp == 1.0) {
                std::copy(z.begin(), z.end(), x);
            } else {
                for (std::size_t i = 0; i < n; ++i) x[i] = stp * d[i] + t[i];
            }
            f = evaluate();
        }
        if (failed) {
            std::copy(t.begin(), t.end(), x);
            std::copy(r.begin(), r.end(), g.begin());
            f = fold;
            if (memory.col() == 0) return finish(Stop::abnormal);
            memory.reset();
            updated = false;
            continue;
        }

        // A new x: the driver counts the iteration and applies its limits before the convergence tests.
        ++iter;
        sbgnrm = detail::projected_gradient_norm(g.data(), n);
        ++res.nit;
        if (res.nit >= opt.maxiter) return finish(Stop::max_iter);
        if (res.nfev > opt.maxfun) return finish(Stop::max_fun);
        if (sbgnrm <= pgtol) return finish(Stop::gradient);
        const double ddum = std::fmax(std::fmax(std::fabs(fold), std::fabs(f)), 1.0);
        if (fold - f <= tol * ddum) return finish(Stop::relative_reduction);

        // The pair: s = stp*d, y = g - g_old (in r); kept only when s'y > eps * (-g_old's).
        for (std::size_t i = 0; i < n; ++i) r[i] = g[i] - r[i];
        const double rr = std::pow(detail::nrm2(r.data(), n), 2.0);
        double dr, skip_scale;
        if (stp == 1.0) {
            dr = gd - gdold;
            skip_scale = -gdold;
        } else {
            dr = (gd - gdold) * stp;
            for (std::size_t i = 0; i < n; ++i) d[i] *= stp;
            skip_scale = -gdold * stp;
        }
        if (dr <= kEpsMach * skip_scale) {
            updated = false;
            continue;
        }
        updated = true;
        if (!memory.update(d.data(), r.data(), rr, dr, stp, dtd)) {
            memory.reset();
            updated = false;
        }
    }
}

}  // namespace gradkit::train::lbfgsb
