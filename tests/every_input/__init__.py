"""The state × input driver of issue 20: every question and every button-bearing step of
every flow, reached through the fake messenger and saved (`states`), and every kind of input
a person can send (`inputs`), sent at each saved step on a copy of it."""
