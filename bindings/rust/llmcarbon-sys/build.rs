//! Finds libllmcarbon with the `pkg-config` program (not the pkg-config
//! crate: this crate has no dependencies) and tells cargo how to link it.
//!
//! The search honours the usual variables of pkg-config itself
//! (PKG_CONFIG_PATH, PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR), and
//! PKG_CONFIG names another pkg-config program (pkgconf, a cross wrapper).

use std::env;
use std::process::Command;

fn fail(why: &str) -> ! {
    panic!(
        "\n\nllmcarbon-sys: cannot find libllmcarbon: {why}\n\
         Install libllmcarbon (meson setup build && ninja -C build && \
         meson install -C build), or set PKG_CONFIG_PATH to the directory \
         that holds llmcarbon.pc, e.g.\n    \
         PKG_CONFIG_PATH=/opt/llmcarbon/lib/x86_64-linux-gnu/pkgconfig \
         cargo build\n\
         (at run time the loader must find libllmcarbon.so.0 as well: \
         LD_LIBRARY_PATH or ldconfig).\n\n"
    );
}

fn main() {
    for var in [
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG_SYSROOT_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let output = Command::new(&program)
        .args(["--libs-only-L", "--libs-only-l", "llmcarbon"])
        .output()
        .unwrap_or_else(|e| fail(&format!("could not run `{program}`: {e}")));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        fail(&format!(
            "`{program} --libs llmcarbon` failed ({}): {}",
            output.status,
            stderr.trim()
        ));
    }
    let stdout = String::from_utf8(output.stdout)
        .unwrap_or_else(|_| fail("pkg-config printed something that is not UTF-8"));

    let mut linked = false;
    for token in stdout.split_whitespace() {
        if let Some(dir) = token.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            // DEP_LLMCARBON_LIBDIR for crates that depend on this one
            println!("cargo:libdir={dir}");
        } else if let Some(lib) = token.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
            linked |= lib == "llmcarbon";
        }
    }
    if !linked {
        // pkg-config answered without -lllmcarbon: link it all the same
        println!("cargo:rustc-link-lib=llmcarbon");
    }

    if let Ok(out) = Command::new(&program)
        .args(["--modversion", "llmcarbon"])
        .output()
    {
        if out.status.success() {
            let v = String::from_utf8_lossy(&out.stdout);
            println!("cargo:version={}", v.trim());
        }
    }
}
