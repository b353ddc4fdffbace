//! Blueprints shipped inside the binary, for `eksforge init --template NAME`.

/// The reference hardened blueprint (`blueprints/hardened.toml`).
pub const HARDENED: &str = include_str!("../../blueprints/hardened.toml");

/// Template names, in the order `init` lists them.
pub const NAMES: &[&str] = &["hardened"];

/// The text of the template called `name`.
pub fn by_name(name: &str) -> Option<&'static str> {
    match name {
        "hardened" => Some(HARDENED),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads_and_validates() {
        for name in NAMES {
            let text = by_name(name).unwrap_or_default();
            let loaded = crate::blueprint::load_str(&format!("{name}.toml"), text, &[])
                .unwrap_or_else(|e| panic!("template {name}: {e:?}"));
            assert_eq!(loaded.model.blueprint.name, *name);
        }
        assert_eq!(by_name("nope"), None);
    }
}
