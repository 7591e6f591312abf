// Every struct's size and alignment and every field's offset and size, as
// Rust sees the generated declarations, equal what the C compiler sees in the
// headers: the binding cannot drift from the ABI.
use nq_host::sys;

#[test]
fn every_size_and_offset_matches_the_c_compiler() {
    let rust = sys::rust_layouts();
    assert_eq!(rust.len(), sys::c::C_LAYOUTS.len());
    for (r, c) in rust.iter().zip(sys::c::C_LAYOUTS) {
        assert_eq!(r, c, "Rust (left) and C (right) disagree");
    }
    assert!(
        rust.len() > 200,
        "the layouts of every struct and field: {}",
        rust.len()
    );
}
