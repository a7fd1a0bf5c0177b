//! Compiles the patient views in `ui/` with their bundled Japanese translation.
fn main() {
    // Debug info lets tests and the demo's scripted run find elements by accessible label.
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations("lang")
        // Messages are looked up by their English text alone, so one phrase is translated once.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    println!("cargo:rerun-if-changed=.");
    slint_build::compile_with_config("app.slint", config).expect("ui/app.slint compiles");
}
