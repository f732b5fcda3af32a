"""x86-64 assembly domain: GNU as kernels judged against gcc -O2 of a C reference (see domain.py)."""
