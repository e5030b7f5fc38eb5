//! The protocol every server speaks: a fixed 32-byte request, a fixed
//! 32-byte reply, closed loop (the Mio paper's SimpleServer).
//!
//! A request carries the connection number and a sequence number, so the
//! load generator can check that each reply answers its own request:
//!
//! ```text
//! request:  [conn u64 LE][seq u64 LE][8 bytes 'q'][8 bytes 'q']
//! reply:    [conn u64 LE][seq u64 LE][8 bytes 'q'][8 bytes: 'q' or work hash]
//! ```
//!
//! With `work = 0` the reply echoes the request. With `work = n` the
//! server first runs [`work`] (`n` rounds of a dependent multiply chain over
//! the request, about 50 ns a round) and puts the hash in the last 8 bytes.

/// Request length in bytes.
pub const REQ_LEN: usize = 32;
/// Reply length in bytes.
pub const REP_LEN: usize = 32;
/// Bytes of the reply that always echo the request.
pub const ECHOED: usize = 24;

/// Builds request `seq` of connection `conn`.
pub fn request(conn: u64, seq: u64) -> [u8; REQ_LEN] {
    let mut r = [b'q'; REQ_LEN];
    r[..8].copy_from_slice(&conn.to_le_bytes());
    r[8..16].copy_from_slice(&seq.to_le_bytes());
    r
}

/// The reply a correct server sends to `req`.
pub fn reply(req: &[u8; REQ_LEN], work_rounds: u32) -> [u8; REP_LEN] {
    let mut r = *req;
    if work_rounds > 0 {
        r[ECHOED..].copy_from_slice(&work(req, work_rounds).to_le_bytes());
    }
    r
}

/// Whether `rep` answers `req`. The hash is checked only if `check_work`
/// (recomputing it would double the generator's CPU per request).
pub fn reply_ok(req: &[u8; REQ_LEN], rep: &[u8], work_rounds: u32, check_work: bool) -> bool {
    if rep.len() != REP_LEN || rep[..ECHOED] != req[..ECHOED] {
        return false;
    }
    match (work_rounds, check_work) {
        (0, _) => rep[ECHOED..] == req[ECHOED..],
        (n, true) => rep[ECHOED..] == work(req, n).to_le_bytes(),
        (_, false) => true,
    }
}

/// The CPU work of one request: `rounds` passes of FNV-1a over the request,
/// a dependent chain the compiler cannot vectorise or skip.
pub fn work(req: &[u8; REQ_LEN], rounds: u32) -> u64 {
    let req = std::hint::black_box(req);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for round in 0..rounds {
        for &b in req {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= u64::from(round);
    }
    h
}

/// Rounds of [`work`] that take about `target` on this machine, measured
/// as the fastest of several trials (the least disturbed by other load).
pub fn calibrate(target: std::time::Duration) -> u32 {
    let req = request(0, 0);
    let trial_rounds = 2_000;
    let best = (0..15)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(work(&req, trial_rounds));
            t.elapsed()
        })
        .min()
        .unwrap_or_default();
    let per_round = best.as_secs_f64() / f64::from(trial_rounds);
    ((target.as_secs_f64() / per_round.max(1e-12)) as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_checked() {
        let req = request(7, 9);
        assert!(reply_ok(&req, &reply(&req, 0), 0, true));
        assert!(reply_ok(&req, &reply(&req, 3), 3, true));
        assert!(!reply_ok(&req, &reply(&req, 3), 4, true));
        assert!(!reply_ok(&req, &reply(&request(7, 10), 0), 0, true));
        assert!(!reply_ok(&req, &reply(&req, 0)[..31], 0, true));
    }
}
