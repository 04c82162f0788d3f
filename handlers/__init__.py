"""PTB handlers, one module per feature; thin: they translate updates into calls."""
