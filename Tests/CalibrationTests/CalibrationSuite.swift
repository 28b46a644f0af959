// Tests for Calibration live beside this file.
