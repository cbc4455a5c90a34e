//! The `fanfare` binary: a thin wrapper around [`fanfare::cli::run`].

fn main() {
    if let Err(err) = fanfare::cli::run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
