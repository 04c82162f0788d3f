"""Browser tests' fixtures: a real Chromium through Selenium, and the servers it drives."""
