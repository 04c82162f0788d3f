"""Persian text, input normalisation and the Jalali calendar; no messenger code here."""
