"""Form definitions (TOML data files beside this module) and the pure form model."""
