use i_slint_backend_testing::ElementQuery;
use uketsuke::ui::Language;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::Headless;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (name, lang, w, h) = (
        &args[1],
        &args[2],
        args[3].parse().unwrap(),
        args[4].parse().unwrap(),
    );
    let mut hl = Headless::new(w, h).unwrap();
    let s = every_screen()
        .into_iter()
        .find(|s| &s.name == name)
        .unwrap();
    hl.show(
        &s,
        if lang == "ja" {
            Language::Japanese
        } else {
            Language::English
        },
    );
    hl.render();
    println!("fits {:?}", hl.fits());
    for e in ElementQuery::from_root(&hl.app)
        .match_descendants()
        .find_all()
    {
        let (p, sz) = (e.absolute_position(), e.size());
        println!(
            "{:?} {:?} {:.0},{:.0} {:.0}x{:.0} {:?}",
            e.type_name(),
            e.id(),
            p.x,
            p.y,
            sz.width,
            sz.height,
            e.accessible_label()
                .map(|l| l.chars().take(30).collect::<String>())
        );
    }
}
