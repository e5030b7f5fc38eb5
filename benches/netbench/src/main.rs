//! The netbench command: see `netbench help` and the crate docs.

fn main() {
    std::process::exit(netbench::cli::main(std::env::args().skip(1).collect()));
}
