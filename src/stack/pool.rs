//! PLACEHOLDER: cache and pool.

use std::io;

use super::FiberStack;
use crate::loom::sync::{Arc, Mutex};

/// Per-runtime pool.
#[derive(Debug)]
pub(crate) struct StackPool {
    size: usize,
    free: Mutex<Vec<FiberStack>>,
}

impl StackPool {
    pub(crate) fn new(stack_size: usize) -> Self {
        Self { size: stack_size, free: Mutex::new(Vec::new()) }
    }
    pub(crate) fn stack_size(&self) -> usize {
        self.size
    }
    pub(crate) fn get(&self) -> io::Result<FiberStack> {
        match self.free.lock().unwrap().pop() {
            Some(s) => Ok(s),
            None => FiberStack::new(self.size),
        }
    }
    pub(crate) fn put(&self, s: FiberStack) {
        let mut free = self.free.lock().unwrap();
        if free.len() < 1024 {
            free.push(s);
        }
    }
}

/// Per-worker cache.
#[derive(Debug)]
pub(crate) struct StackCache {
    pool: Arc<StackPool>,
    free: Vec<FiberStack>,
}

impl StackCache {
    pub(crate) fn new(pool: Arc<StackPool>) -> Self {
        Self { pool, free: Vec::new() }
    }
    pub(crate) fn get(&mut self, size: usize) -> io::Result<FiberStack> {
        if size != self.pool.stack_size() {
            return FiberStack::new(size);
        }
        match self.free.pop() {
            Some(s) => Ok(s),
            None => self.pool.get(),
        }
    }
    pub(crate) fn put(&mut self, s: FiberStack) {
        if s.size() != self.pool.stack_size() {
            return;
        }
        if self.free.len() < 64 {
            self.free.push(s);
        } else {
            self.pool.put(s);
        }
    }
    pub(crate) fn trim_idle(&mut self) {}
}
