//! The `uketsuke` binary: the command line lives in `uketsuke::cli`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    uketsuke::cli::main()
}
