    .text
    .globl memzero
memzero:
    mov %rsi, %rcx
    xor %eax, %eax
    rep stosb
    ret
