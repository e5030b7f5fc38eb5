//! PLACEHOLDER: signal handling (sigaltstack, sigaction).
