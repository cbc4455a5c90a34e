//! `fanfare sentiment`: score texts from standard input, one per line.
//!
//! Prints one VADER compound score per input line, in the same order, with 4
//! decimals. Streams: one line is held at a time, so memory stays constant
//! however long the input is. A line that is not valid UTF-8 is scored with
//! the invalid bytes replaced; an empty line scores `0.0000`.

use std::io::{self, BufRead, BufWriter, Write};

use crate::domain::sentiment;

pub fn run() -> anyhow::Result<()> {
    let stdin = io::stdin().lock();
    let stdout = BufWriter::new(io::stdout().lock());
    match score_lines(stdin, stdout) {
        Ok(_) => Ok(()),
        // `fanfare sentiment < big.txt | head` is not an error.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Score every line of `input` and write one score per line to `output`.
/// Returns the number of lines scored.
pub fn score_lines<R: BufRead, W: Write>(mut input: R, mut output: W) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(1024);
    let mut lines = 0u64;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        let text = String::from_utf8_lossy(&buf);
        writeln!(output, "{:.4}", sentiment::score(&text))?;
        lines += 1;
    }
    output.flush()?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_score_per_line_in_order() {
        let input = b"VADER is smart, handsome, and funny.\r\n\nthe shirt is blue\nI hate this\xff";
        let mut out = Vec::new();
        let n = score_lines(&input[..], &mut out).unwrap();
        assert_eq!(n, 4);
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "0.8316");
        assert_eq!(lines[1], "0.0000");
        assert_eq!(lines[2], "0.0000");
        assert!(lines[3].starts_with('-'), "{}", lines[3]);
    }

    #[test]
    fn empty_input_prints_nothing() {
        let mut out = Vec::new();
        assert_eq!(score_lines(&b""[..], &mut out).unwrap(), 0);
        assert!(out.is_empty());
    }
}
