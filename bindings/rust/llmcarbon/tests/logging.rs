//! The log callback is process-wide: this file is a test process of its own.

use std::sync::{Arc, Mutex};

#[test]
fn library_messages_reach_the_rust_logger() {
    let seen = Arc::new(Mutex::new(Vec::<(llmcarbon::LogLevel, String)>::new()));
    let s = Arc::clone(&seen);
    llmcarbon::set_logger(move |level, message| {
        s.lock().unwrap().push((level, message.to_owned()));
    });
    // every failure is logged at debug level
    assert!(llmcarbon::Grid::new("static:Atlantis").is_err());
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen.iter().any(|(l, m)| *l == llmcarbon::LogLevel::Debug
                && m.contains("LLMC_ENOTFOUND")
                && m.contains("Atlantis")),
            "{seen:?}"
        );
    }
    // a logger that logs (reentrant) and panics does not take the process down
    llmcarbon::set_logger(|_, _| {
        let _ = llmcarbon::Profile::lookup("no such thing");
        panic!("a logger that panics");
    });
    assert!(llmcarbon::Grid::new("static:Atlantis").is_err());

    llmcarbon::clear_logger();
    let before = seen.lock().unwrap().len();
    assert!(llmcarbon::Grid::new("static:Atlantis").is_err());
    assert_eq!(seen.lock().unwrap().len(), before, "cleared");
}
