"""The demo: seed departments, users, a case stream, themes, issues and measured fixes from nothing."""
