"""The application: the `specgame` command, run folders and sweeps. Nothing imports it."""
