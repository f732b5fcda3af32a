"""The GPU-kernel domain: KernelBench-style problems, Triton/CUDA candidates checked and timed against PyTorch."""
