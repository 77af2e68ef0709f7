//! `galley-emulator`: under construction.

fn main() {}
