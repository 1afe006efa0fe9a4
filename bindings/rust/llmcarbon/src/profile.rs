//! Hardware profiles: the bundled catalogue, profile files, and profiles
//! built by hand.

use std::fmt;
use std::path::Path;
use std::ptr::{self, NonNull};

use crate::{check, copy_opt_str, copy_str, cstring, sys, Error, Result};

/// A number of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ProfileField {
    TdpW,
    IdleW,
    /// Dense FLOP/s (not TFLOPS), like the other peaks.
    PeakFp32Flops,
    PeakTf32Flops,
    PeakBf16Flops,
    PeakFp16Flops,
    PeakFp8Flops,
    MemoryGb,
    /// Per device; see [`ProfileText::EmbodiedBasis`].
    EmbodiedKgco2e,
    /// Service life for amortisation.
    LifetimeS,
    DieMm2,
    ProcessNm,
    /// Embodied carbon of the die alone; see [`ProfileText::EmbodiedDieMethod`].
    EmbodiedDieKgco2e,
    /// The die and the memory on its package.
    EmbodiedPackageKgco2e,
    /// The board or module; the scope [`ProfileField::EmbodiedKgco2e`] gives.
    EmbodiedBoardKgco2e,
    /// The board and the host's share per device (CPU, DRAM, SSD, chassis).
    EmbodiedServerKgco2e,
}

impl ProfileField {
    fn raw(self) -> sys::llmc_profile_field {
        use ProfileField::*;
        match self {
            TdpW => sys::LLMC_PROFILE_TDP_W,
            IdleW => sys::LLMC_PROFILE_IDLE_W,
            PeakFp32Flops => sys::LLMC_PROFILE_PEAK_FP32_FLOPS,
            PeakTf32Flops => sys::LLMC_PROFILE_PEAK_TF32_FLOPS,
            PeakBf16Flops => sys::LLMC_PROFILE_PEAK_BF16_FLOPS,
            PeakFp16Flops => sys::LLMC_PROFILE_PEAK_FP16_FLOPS,
            PeakFp8Flops => sys::LLMC_PROFILE_PEAK_FP8_FLOPS,
            MemoryGb => sys::LLMC_PROFILE_MEMORY_GB,
            EmbodiedKgco2e => sys::LLMC_PROFILE_EMBODIED_KGCO2E,
            LifetimeS => sys::LLMC_PROFILE_LIFETIME_S,
            DieMm2 => sys::LLMC_PROFILE_DIE_MM2,
            ProcessNm => sys::LLMC_PROFILE_PROCESS_NM,
            EmbodiedDieKgco2e => sys::LLMC_PROFILE_EMBODIED_DIE_KGCO2E,
            EmbodiedPackageKgco2e => sys::LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E,
            EmbodiedBoardKgco2e => sys::LLMC_PROFILE_EMBODIED_BOARD_KGCO2E,
            EmbodiedServerKgco2e => sys::LLMC_PROFILE_EMBODIED_SERVER_KGCO2E,
        }
    }
}

/// A text of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileText {
    /// "NVIDIA H100 SXM5 80GB"
    Name,
    /// "NVIDIA"
    Vendor,
    /// gpu, tpu, accelerator, board, cpu
    Kind,
    /// Where the numbers come from.
    Source,
    /// die-only, board-share, board
    EmbodiedBasis,
    /// Why that lifetime.
    LifetimeSource,
    /// How each scope's embodied figure was made: pcf, model, model-bound
    /// (a die area or node taken at its upper bound), pcf+model, given;
    /// "" when unknown.
    EmbodiedDieMethod,
    /// See [`ProfileText::EmbodiedDieMethod`].
    EmbodiedPackageMethod,
    /// See [`ProfileText::EmbodiedDieMethod`].
    EmbodiedBoardMethod,
    /// See [`ProfileText::EmbodiedDieMethod`].
    EmbodiedServerMethod,
}

impl ProfileText {
    fn raw(self) -> sys::llmc_profile_text {
        match self {
            ProfileText::Name => sys::LLMC_PROFILE_NAME,
            ProfileText::Vendor => sys::LLMC_PROFILE_VENDOR,
            ProfileText::Kind => sys::LLMC_PROFILE_KIND,
            ProfileText::Source => sys::LLMC_PROFILE_SOURCE,
            ProfileText::EmbodiedBasis => sys::LLMC_PROFILE_EMBODIED_BASIS,
            ProfileText::LifetimeSource => sys::LLMC_PROFILE_LIFETIME_SOURCE,
            ProfileText::EmbodiedDieMethod => sys::LLMC_PROFILE_EMBODIED_DIE_METHOD,
            ProfileText::EmbodiedPackageMethod => sys::LLMC_PROFILE_EMBODIED_PACKAGE_METHOD,
            ProfileText::EmbodiedBoardMethod => sys::LLMC_PROFILE_EMBODIED_BOARD_METHOD,
            ProfileText::EmbodiedServerMethod => sys::LLMC_PROFILE_EMBODIED_SERVER_METHOD,
        }
    }
}

/// A hardware profile: TDP, peak FLOP/s, embodied carbon and where each
/// number comes from. Released (one reference) on drop.
///
/// `Clone` takes another reference to the same profile, which is then
/// shared and frozen: its setters fail with [`Error::EBUSY`] until only one
/// reference is left. Handing it to an [`Estimate`](crate::Estimate) or a
/// [`Tracker`](crate::Tracker) shares it the same way.
pub struct Profile {
    ptr: NonNull<sys::llmc_profile>,
}

// SAFETY (llmcarbon-threads(7), "Profiles and grids are shared read-only"):
// reference counts are atomic, so llmc_profile_ref/free may run on any
// thread; a profile is only changed through &mut self, which Rust makes
// exclusive, and a shared profile (more than one reference) refuses every
// change with LLMC_EBUSY, so the &self getters (llmc_profile_get,
// llmc_profile_get_text) never race with a write.
unsafe impl Send for Profile {}
unsafe impl Sync for Profile {}

impl Profile {
    fn from_out(rc: i32, out: *mut sys::llmc_profile) -> Result<Profile> {
        check(rc)?;
        NonNull::new(out)
            .map(|ptr| Profile { ptr })
            .ok_or_else(|| Error::new(Error::ENOMEM, "the library returned no profile"))
    }

    /// Finds a profile in the bundled catalogue. Case, spaces, dashes,
    /// underscores and the vendor prefix do not matter ("h100-sxm",
    /// "MI300X"); an unknown name is [`Error::ENOTFOUND`] and a name that
    /// matches several is [`Error::EAMBIGUOUS`], with the candidates in the
    /// message.
    pub fn lookup(name: &str) -> Result<Profile> {
        let name = cstring(name, "hardware name")?;
        let mut out = ptr::null_mut();
        let rc = unsafe { sys::llmc_profile_lookup(&mut out, name.as_ptr()) };
        Profile::from_out(rc, out)
    }

    /// Finds the profile of a device by the name its driver prints
    /// ("NVIDIA H100 80GB HBM3"); where the name fits several profiles,
    /// the device's memory (GiB, as the driver reports it) and power limit
    /// (W) decide. `None` for a figure that is not known. Still undecided:
    /// [`Error::EAMBIGUOUS`], with each candidate's memory and power in the
    /// message.
    pub fn lookup_device(
        name: &str,
        memory_gib: Option<f64>,
        power_limit_w: Option<f64>,
    ) -> Result<Profile> {
        let name = cstring(name, "hardware name")?;
        let mut out = ptr::null_mut();
        let rc = unsafe {
            sys::llmc_profile_lookup_device(
                &mut out,
                name.as_ptr(),
                memory_gib.unwrap_or(f64::NAN),
                power_limit_w.unwrap_or(f64::NAN),
            )
        };
        Profile::from_out(rc, out)
    }

    /// An empty profile to fill with the setters; every number starts
    /// unknown.
    pub fn new(name: &str) -> Result<Profile> {
        let name = cstring(name, "profile name")?;
        let mut out = ptr::null_mut();
        let rc = unsafe { sys::llmc_profile_new(&mut out, name.as_ptr()) };
        Profile::from_out(rc, out)
    }

    /// Loads a profile from a JSON file.
    pub fn load(path: impl AsRef<Path>) -> Result<Profile> {
        let path = path_cstring(path.as_ref())?;
        let mut out = ptr::null_mut();
        let rc = unsafe { sys::llmc_profile_load(&mut out, path.as_ptr()) };
        Profile::from_out(rc, out)
    }

    /// Reads a profile from JSON text.
    pub fn from_json(json: &str) -> Result<Profile> {
        let mut out = ptr::null_mut();
        let rc = unsafe { sys::llmc_profile_load_json(&mut out, json.as_ptr().cast(), json.len()) };
        Profile::from_out(rc, out)
    }

    /// Every profile of the bundled catalogue.
    pub fn catalogue() -> Result<Vec<Profile>> {
        let n = unsafe { sys::llmc_profile_catalogue_count() };
        (0..n)
            .map(|i| {
                let mut out = ptr::null_mut();
                let rc = unsafe { sys::llmc_profile_catalogue_get(&mut out, i) };
                Profile::from_out(rc, out)
            })
            .collect()
    }

    /// A number, or `None` when no source gives it (never a silent 0).
    pub fn get(&self, field: ProfileField) -> Option<f64> {
        let mut out = f64::NAN;
        let rc = unsafe { sys::llmc_profile_get(&mut out, self.ptr.as_ptr(), field.raw()) };
        // LLMC_ENODATA is the only failure with a valid field and profile
        (rc == sys::LLMC_OK).then_some(out)
    }

    /// Sets a number (finite, not negative). Fails with [`Error::EBUSY`]
    /// when the profile is shared.
    pub fn set(&mut self, field: ProfileField, value: f64) -> Result<()> {
        check(unsafe { sys::llmc_profile_set(self.ptr.as_ptr(), field.raw(), value) })
    }

    /// Marks a number unknown again.
    pub fn unset(&mut self, field: ProfileField) -> Result<()> {
        self.set(field, f64::NAN)
    }

    /// A text field, or `None` when unknown.
    pub fn text(&self, field: ProfileText) -> Option<String> {
        unsafe { copy_opt_str(sys::llmc_profile_get_text(self.ptr.as_ptr(), field.raw())) }
    }

    /// Sets a text field. Fails with [`Error::EBUSY`] when the profile is
    /// shared, and [`Error::EINVAL`] for a kind or basis it does not know.
    pub fn set_text(&mut self, field: ProfileText, value: &str) -> Result<()> {
        let value = cstring(value, "profile text")?;
        check(unsafe { sys::llmc_profile_set_text(self.ptr.as_ptr(), field.raw(), value.as_ptr()) })
    }

    /// The canonical name, "NVIDIA H100 SXM5 80GB".
    pub fn name(&self) -> String {
        unsafe {
            copy_str(sys::llmc_profile_get_text(
                self.ptr.as_ptr(),
                sys::LLMC_PROFILE_NAME,
            ))
        }
    }

    /// The vendor, "NVIDIA".
    pub fn vendor(&self) -> Option<String> {
        self.text(ProfileText::Vendor)
    }

    /// gpu, tpu, accelerator, board or cpu.
    pub fn kind(&self) -> Option<String> {
        self.text(ProfileText::Kind)
    }

    /// Where the numbers come from.
    pub fn source(&self) -> Option<String> {
        self.text(ProfileText::Source)
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::llmc_profile {
        self.ptr.as_ptr()
    }
}

impl Clone for Profile {
    /// Another reference to the same profile, which is then frozen.
    fn clone(&self) -> Profile {
        let ptr = unsafe { sys::llmc_profile_ref(self.ptr.as_ptr()) };
        Profile {
            ptr: NonNull::new(ptr).expect("llmc_profile_ref returned NULL"),
        }
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        unsafe { sys::llmc_profile_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name())
            .field("kind", &self.kind())
            .field("tdp_w", &self.get(ProfileField::TdpW))
            .finish()
    }
}

#[cfg(unix)]
pub(crate) fn path_cstring(path: &Path) -> Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        Error::new(
            Error::EINVAL,
            format!("the path {} holds a NUL byte", path.display()),
        )
    })
}

#[cfg(not(unix))]
pub(crate) fn path_cstring(path: &Path) -> Result<std::ffi::CString> {
    let s = path.to_str().ok_or_else(|| {
        Error::new(
            Error::EINVAL,
            format!("the path {} is not UTF-8", path.display()),
        )
    })?;
    cstring(s, "path")
}
