//! Run the same drawing function in a process and in a child forked from it,
//! for the fork-safety tests of nonces and salts (tests/fork_nonces*.rs).

use std::io::Read;
use std::os::fd::FromRawFd;

/// Fork; the child runs `draw` and sends its bytes through a pipe, the
/// parent runs `draw` too. Returns (parent's bytes, child's bytes), after
/// checking that the child exited cleanly and wrote as much as the parent.
pub fn parent_and_child(draw: impl Fn() -> Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child only runs `draw`, writes to the pipe and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let drawn = draw();
        let mut written = 0;
        while written < drawn.len() {
            // SAFETY: writing initialised bytes to our own pipe.
            let n = unsafe { libc::write(fds[1], drawn[written..].as_ptr().cast(), drawn.len() - written) };
            if n <= 0 {
                // SAFETY: leave the child without running the parent's destructors.
                unsafe { libc::_exit(2) };
            }
            written += n as usize;
        }
        // SAFETY: as above.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: closing our copy of the write end, so that reading sees EOF.
    unsafe { libc::close(fds[1]) };
    let parent = draw();
    // SAFETY: the read end is ours and closed only by this `File`.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut child = Vec::new();
    pipe.read_to_end(&mut child).unwrap();
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed: {status}");
    assert_eq!(child.len(), parent.len(), "child wrote everything");
    (parent, child)
}
