//! [`verify_chain`]: walks a chained audit log line by line, recomputing
//! each MAC from the previous line's, checks the sequence numbers, and
//! holds the log against its checkpoints; reports every problem with the
//! line it is on.

use std::collections::BTreeMap;
use std::io::BufRead;

use super::chain::{AuditKeys, MAC_LEN, for_each_line, same_mac, split_line, unhex};

/// The most problems one verification reports (a log rewritten wholesale
/// would otherwise yield one per line).
pub const MAX_PROBLEMS: usize = 1000;

/// One thing wrong with a chained audit log. `line` is the 1-based line
/// number in the file as it is now; `seq` numbers are the chain's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainProblem {
    /// The line's MAC does not match its content and the line before it:
    /// the line (or the MAC of the line before it) was changed, or forged.
    #[error("line {line}: its MAC does not match (changed)")]
    Changed {
        /// The line.
        line: u64,
    },
    /// Lines `from..=to` of the chain are not in the file: deleted.
    #[error("line {line}: {} of the chain {} missing before it (deleted)", range(*from, *to), if from == to { "is" } else { "are" })]
    Deleted {
        /// The line found where the first missing one should be.
        line: u64,
        /// The first missing sequence number.
        from: u64,
        /// The last missing sequence number.
        to: u64,
    },
    /// The line comes after lines that follow it in the chain: reordered.
    #[error("line {line}: line {seq} of the chain comes after line {after} (reordered)")]
    Reordered {
        /// The line.
        line: u64,
        /// Its sequence number.
        seq: u64,
        /// The highest sequence number seen before it.
        after: u64,
    },
    /// The line repeats a line of the chain already seen (a copy).
    #[error("line {line}: line {seq} of the chain again (repeated)")]
    Repeated {
        /// The line.
        line: u64,
        /// Its sequence number.
        seq: u64,
    },
    /// The file ends inside a line (no final newline): cut off mid-line.
    #[error("line {line}: cut off (no newline at the end of the log)")]
    CutOff {
        /// The line.
        line: u64,
    },
    /// The log has fewer lines than a checkpoint vouches for: its tail was
    /// truncated.
    #[error(
        "line {line}: the log ends at line {lines}, but a checkpoint vouches for {line} lines (truncated)"
    )]
    Truncated {
        /// Where the checkpoint says the chain reached.
        line: u64,
        /// How many lines the log has.
        lines: u64,
    },
    /// The line's MAC differs from the head a checkpoint recorded at it.
    #[error("line {line}: differs from the checkpoint taken at it (the log was rewritten up to here)")]
    CheckpointMismatch {
        /// The line.
        line: u64,
    },
    /// The line is not a chained audit line (no MAC member, no `seq`, or
    /// not JSON), or longer than 1 MiB.
    #[error("line {line}: not a chained audit line")]
    Malformed {
        /// The line.
        line: u64,
    },
    /// The line's MAC key is not among the keyring's keys (destroyed, or
    /// another keyring's): it cannot be checked.
    #[error("line {line}: MAC key {key_id} is not in the keyring (destroyed, or another keyring's)")]
    UnknownKey {
        /// The line.
        line: u64,
        /// The key id it names.
        key_id: u32,
    },
    /// A checkpoint line whose own MAC does not match: the checkpoint file
    /// was changed.
    #[error("checkpoint {index}: its MAC does not match (the checkpoint file was changed)")]
    BadCheckpoint {
        /// Its 1-based line number in the checkpoint file.
        index: u64,
    },
}

fn range(from: u64, to: u64) -> String {
    if from == to { format!("line {from}") } else { format!("lines {from} to {to}") }
}

/// What [`verify_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainReport {
    /// Lines in the log.
    pub lines: u64,
    /// Checkpoints of this log's chain (those whose `first` is the MAC of
    /// its line 1), held against it.
    pub checkpoints: u64,
    /// Valid checkpoints of other chains (other logs of the same keyring
    /// sharing the checkpoint file, or earlier logs at the same path), not
    /// held against this one.
    pub other_checkpoints: u64,
    /// Every problem, in line order (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<ChainProblem>,
}

impl ChainReport {
    /// No problem found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Why a log could not be verified at all (the problems *in* a log are
/// [`ChainProblem`]s). Value-free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Reading the log or the checkpoints failed.
    #[error("cannot read the audit log: {0}")]
    Read(std::io::ErrorKind),
}

/// Verify a chained audit log written by [`ChainedAudit`](super::ChainedAudit)
/// against the keyring's [`AuditKeys`] and, when given, the checkpoint
/// file's contents. Finds changed, forged, deleted, reordered and cut-off
/// lines; a tail truncated at a line boundary only with a checkpoint past
/// the new end. See [`ChainedAudit`](super::ChainedAudit) for an example.
pub fn verify_chain(
    log: impl BufRead,
    keys: &AuditKeys,
    checkpoints: Option<&[u8]>,
) -> Result<ChainReport, VerifyError> {
    let mut walk = Walk::new(keys);
    if let Some(text) = checkpoints {
        walk.read_checkpoints(text);
    }
    for_each_line(log, |line| match line {
        Some(line) => walk.line(line),
        None => walk.overlong(),
    })?;
    Ok(walk.finish())
}

/// The state of one verification.
struct Walk<'a> {
    keys: &'a AuditKeys,
    line: u64,
    /// The sequence number expected next, and the highest seen.
    expected: u64,
    /// The previous line's MAC, and whether its sequence number was out of place.
    prev: [u8; MAC_LEN],
    prev_out_of_place: bool,
    /// Sequence-number gaps not yet filled: (line found there, from, to).
    gaps: Vec<(u64, u64, u64)>,
    problems: Vec<(u64, ChainProblem)>,
    /// Every valid checkpoint: (first line's MAC, line count, head).
    all: Vec<([u8; MAC_LEN], u64, [u8; MAC_LEN])>,
    /// The heads of this log's chain (those whose `first` is line 1's MAC), by line count.
    heads: BTreeMap<u64, [u8; MAC_LEN]>,
    checkpoints: u64,
    others: u64,
}

impl<'a> Walk<'a> {
    fn new(keys: &'a AuditKeys) -> Walk<'a> {
        Walk {
            keys,
            line: 0,
            expected: 1,
            prev: [0; MAC_LEN],
            prev_out_of_place: false,
            gaps: Vec::new(),
            problems: Vec::new(),
            all: Vec::new(),
            heads: BTreeMap::new(),
            checkpoints: 0,
            others: 0,
        }
    }

    fn problem(&mut self, line: u64, p: ChainProblem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push((line, p));
        }
    }

    fn read_checkpoints(&mut self, text: &[u8]) {
        for (i, raw) in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).enumerate() {
            let index = i as u64 + 1;
            match self.checkpoint(raw) {
                Some(checkpoint) => self.all.push(checkpoint),
                None => self.problem(0, ChainProblem::BadCheckpoint { index }),
            }
        }
    }

    /// A checkpoint line's (first, line count, head), when its MAC verifies.
    fn checkpoint(&self, raw: &[u8]) -> Option<([u8; MAC_LEN], u64, [u8; MAC_LEN])> {
        let (open, mac) = split_line(raw)?;
        let body: serde_json::Value = serde_json::from_slice(&[open, b"}"].concat()).ok()?;
        let id = u32::try_from(body["mac_key"].as_u64()?).ok()?;
        let expected = self.keys.checkpoint_mac(id, &[open, b"}"])?;
        if !same_mac(&expected, &mac) {
            return None;
        }
        let first = unhex(body["first"].as_str()?.as_bytes())?;
        Some((first, body["lines"].as_u64()?, unhex(body["head"].as_str()?.as_bytes())?))
    }

    fn overlong(&mut self) {
        self.line += 1;
        self.prev_out_of_place = true;
        self.problem(self.line, ChainProblem::Malformed { line: self.line });
    }

    fn line(&mut self, raw: &[u8]) {
        self.line += 1;
        let line = self.line;
        let Some(text) = raw.strip_suffix(b"\n") else {
            return self.problem(line, ChainProblem::CutOff { line });
        };
        let Some((open, mac, seq, key_id)) = parse(text) else {
            self.prev_out_of_place = true;
            return self.problem(line, ChainProblem::Malformed { line });
        };
        if line == 1 {
            // This chain's checkpoints: those taken of a chain that starts with this line.
            for (first, lines, head) in std::mem::take(&mut self.all) {
                if same_mac(&first, &mac) {
                    self.heads.insert(lines, head);
                    self.checkpoints += 1;
                } else {
                    self.others += 1;
                }
            }
        }
        let out_of_place = self.sequence(line, seq);
        // A line after a gap or a move was MACed after another line than
        // the one now before it: only the sequence problem is reported.
        if !out_of_place && !self.prev_out_of_place {
            match self.keys.line_mac(key_id, &self.prev, &[open, b"}"]) {
                None => self.problem(line, ChainProblem::UnknownKey { line, key_id }),
                Some(expected) if !same_mac(&expected, &mac) => {
                    self.problem(line, ChainProblem::Changed { line })
                }
                Some(_) => {}
            }
        }
        if let Some(head) = self.heads.get(&seq)
            && !same_mac(head, &mac)
        {
            self.problem(line, ChainProblem::CheckpointMismatch { line });
        }
        self.prev = mac;
        self.prev_out_of_place = out_of_place;
    }

    /// Check `seq` against the chain so far; true when it is out of place.
    fn sequence(&mut self, line: u64, seq: u64) -> bool {
        if seq == self.expected {
            self.expected += 1;
            return false;
        }
        if seq > self.expected {
            self.gaps.push((line, self.expected, seq - 1));
            self.expected = seq.saturating_add(1);
            return true;
        }
        // An earlier number: it fills a gap (moved down), or repeats one.
        let Some(i) = self.gaps.iter().position(|&(_, from, to)| (from..=to).contains(&seq)) else {
            self.problem(line, ChainProblem::Repeated { line, seq });
            return true;
        };
        let (at, from, to) = self.gaps.remove(i);
        if seq < to {
            self.gaps.push((at, seq + 1, to));
        }
        if from < seq {
            self.gaps.push((at, from, seq - 1));
        }
        self.problem(line, ChainProblem::Reordered { line, seq, after: self.expected - 1 });
        true
    }

    fn finish(mut self) -> ChainReport {
        for (line, from, to) in std::mem::take(&mut self.gaps) {
            self.problem(line, ChainProblem::Deleted { line, from, to });
        }
        let last = self.expected - 1;
        if let Some((&count, _)) = self.heads.iter().next_back()
            && count > last
        {
            self.problem(count, ChainProblem::Truncated { line: count, lines: self.line });
        }
        self.problems.sort_by_key(|(line, _)| *line);
        let others = self.others + self.all.len() as u64;
        ChainReport {
            lines: self.line,
            checkpoints: self.checkpoints,
            other_checkpoints: others,
            problems: self.problems.into_iter().map(|(_, p)| p).collect(),
        }
    }
}

/// A chained line's body before its final `}`, MAC, `seq` and `mac_key`.
fn parse(text: &[u8]) -> Option<(&[u8], [u8; MAC_LEN], u64, u32)> {
    let (open, mac) = split_line(text)?;
    let body: serde_json::Value = serde_json::from_slice(&[open, b"}"].concat()).ok()?;
    let seq = body["seq"].as_u64().filter(|&s| s > 0)?;
    let key_id = u32::try_from(body["mac_key"].as_u64()?).ok()?;
    Some((open, mac, seq, key_id))
}
