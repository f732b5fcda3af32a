"""The ICWM (implicit code world model) as a backend: predicts what a real toolchain would return."""
