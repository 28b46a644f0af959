// Tests for Analytic live beside this file.
