//! Power meters: NVML, RAPL, amdgpu, models, constants and replays.

use std::fmt;
use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};

use crate::{check, copy_str, cstring, known, status_name, sys, Error, Result};

/// How a channel obtained its energy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Nothing measured (see the channel's status).
    None,
    /// A hardware energy counter.
    Counter,
    /// Power readings integrated over time.
    Power,
    /// TDP x utilisation: a model, not a reading.
    Model,
    /// A constant or replayed power, given.
    Const,
    /// A method this version of the bindings does not know.
    Other(u32),
}

impl Method {
    fn from_raw(m: sys::llmc_method) -> Method {
        match m {
            sys::LLMC_METHOD_NONE => Method::None,
            sys::LLMC_METHOD_COUNTER => Method::Counter,
            sys::LLMC_METHOD_POWER => Method::Power,
            sys::LLMC_METHOD_MODEL => Method::Model,
            sys::LLMC_METHOD_CONST => Method::Const,
            other => Method::Other(other),
        }
    }

    fn raw(self) -> sys::llmc_method {
        match self {
            Method::None => sys::LLMC_METHOD_NONE,
            Method::Counter => sys::LLMC_METHOD_COUNTER,
            Method::Power => sys::LLMC_METHOD_POWER,
            Method::Model => sys::LLMC_METHOD_MODEL,
            Method::Const => sys::LLMC_METHOD_CONST,
            Method::Other(m) => m,
        }
    }

    /// "counter", "power", "model", "const" or "none" (llmc_method_name).
    pub fn name(self) -> String {
        unsafe { copy_str(sys::llmc_method_name(self.raw())) }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One device or domain a meter reads; every string copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// "nvml:0", "rapl:package-0", "const".
    pub name: String,
    /// "NVIDIA H100 80GB HBM3", "package-0".
    pub device: String,
    /// How the energy was obtained.
    pub method: Method,
    /// Energy, J (for a tracker: as this process counted it); `None` when
    /// unmeasured.
    pub energy_j: Option<f64>,
    /// Mean power over the last interval, W; `None` when unknown.
    pub power_w: Option<f64>,
    /// `LLMC_OK` (0) or the code of the last failure.
    pub status: i32,
    /// What went wrong and what to do, or a note.
    pub detail: String,
    /// `LLMC_QUALITY_*` bits seen so far (see [`crate::quality`]).
    pub quality: u32,
    /// A node-wide reading (RAPL), not one device.
    pub node_level: bool,
}

impl Channel {
    /// Copies every string at once: they change at the next read.
    pub(crate) unsafe fn copy(c: &sys::llmc_channel) -> Channel {
        Channel {
            name: copy_str(c.name),
            device: copy_str(c.device),
            method: Method::from_raw(c.method),
            energy_j: known(c.energy_j),
            power_w: known(c.power_w),
            status: c.status,
            detail: copy_str(c.detail),
            quality: c.quality,
            node_level: c.node_level != 0,
        }
    }

    /// The channel's last failure as an error, `None` when it reads.
    pub fn error(&self) -> Option<Error> {
        (self.status != sys::LLMC_OK).then(|| Error {
            code: self.status,
            name: status_name(self.status),
            message: self.detail.clone(),
        })
    }
}

pub(crate) fn new_channel() -> sys::llmc_channel {
    let mut c = MaybeUninit::<sys::llmc_channel>::uninit();
    unsafe {
        sys::llmc_channel_init(c.as_mut_ptr(), size_of::<sys::llmc_channel>());
        c.assume_init()
    }
}

/// The meters of a spec ("nvml:all", "rapl", "const:300W", "auto",
/// "nvml:all+rapl"). Energy is cumulative per channel since the meter was
/// opened. Closed on drop.
pub struct Meter {
    ptr: NonNull<sys::llmc_meter>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY (llmcarbon-threads(7), "Meters belong to one thread at a time"):
// a meter may be handed to another thread when the handover synchronises,
// as a move does; it is not Sync. Reads need &mut self, and the strings of
// its channels, which change at every read, are copied under &self.
unsafe impl Send for Meter {}

impl Meter {
    /// Opens the meters of a spec. "auto" succeeds with whatever works,
    /// even nothing (see [`Meter::diagnostics`]); an explicit spec that
    /// cannot be read fails with [`Error::ENODEV`], [`Error::EPERM`] (with
    /// the remedy), [`Error::ENOTSUP`] or a parse error.
    pub fn open(spec: &str) -> Result<Meter> {
        let spec = cstring(spec, "meter spec")?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_meter_open(&mut out, spec.as_ptr()) })?;
        Ok(Meter {
            ptr: NonNull::new(out)
                .ok_or_else(|| Error::new(Error::ENOMEM, "the library returned no meter"))?,
            _not_sync: PhantomData,
        })
    }

    /// Reads every channel now. Failures are recorded per channel; the
    /// error is the first one, after all channels were read.
    pub fn read(&mut self) -> Result<()> {
        check(unsafe { sys::llmc_meter_read(self.ptr.as_ptr()) })
    }

    /// The channels as of the last read.
    pub fn channels(&self) -> Result<Vec<Channel>> {
        let n = unsafe { sys::llmc_meter_channel_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| {
                let mut c = new_channel();
                check(unsafe { sys::llmc_meter_channel(&mut c, self.ptr.as_ptr(), i) })?;
                Ok(unsafe { Channel::copy(&c) })
            })
            .collect()
    }

    /// One line per source that was tried and what came of it.
    pub fn diagnostics(&self) -> String {
        unsafe { copy_str(sys::llmc_meter_diagnostics(self.ptr.as_ptr())) }
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        unsafe { sys::llmc_meter_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter").finish_non_exhaustive()
    }
}
