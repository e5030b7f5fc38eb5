//! A fiber-local whose `init` uses its own key, with a destructor that
//! touches a new key (growing the map): the outer value wins, as with
//! std's `thread_local!`, and each value is dropped exactly once.
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

static DROPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static MADE: AtomicU32 = AtomicU32::new(0);

struct Noisy(u32);
impl Drop for Noisy {
    fn drop(&mut self) {
        DROPS.lock().unwrap().push(self.0);
        // A key never used before: its index is past the map's capacity.
        Z.with(|_| ());
    }
}

fn make_a() -> Noisy {
    let id = MADE.fetch_add(1, SeqCst) + 1;
    if id == 1 {
        // Recursive first access, as thread_local! allows.
        A.with(|_| ());
    }
    Noisy(id)
}

fiberio::fiber_local! {
    static A: Noisy = make_a();
    static Z: [u8; 64] = [0; 64];
    static P1: u8 = 0; static P2: u8 = 0; static P3: u8 = 0; static P4: u8 = 0;
}

#[test]
fn recursive_init_then_destructor_using_a_new_key() {
    // Take key indices 0..4 first, so A gets 4 and Z (first used in
    // Noisy::drop) gets 5: past the capacity (5) of the map's vector.
    P1.with(|_| ());
    P2.with(|_| ());
    P3.with(|_| ());
    P4.with(|_| ());
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let seen = rt.spawn(|| {
        let first = A.with(|a| a.0);
        let again = A.with(|a| a.0);
        (first, again)
    });
    let (first, again) = seen.join().unwrap();
    rt.shutdown();
    let drops = DROPS.lock().unwrap().clone();
    // The outer init's value (#1) replaces the inner one (#2), which is
    // dropped then; #1 is dropped at fiber end: drops == [2, 1].
    assert_eq!((first, again), (1, 1), "A's value changed between two accesses");
    assert_eq!(drops, vec![2, 1], "each value dropped exactly once");
}
