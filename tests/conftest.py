"""pytest configuration: the fixture generators need torch and are run by hand, never collected."""

collect_ignore_glob = ["fixtures/*.py"]
