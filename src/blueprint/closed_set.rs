//! `closed_set!`: an enum for a blueprint key whose values AWS fixes (`authentication_mode`,
//! `imds_tokens`, ...), with `as_str()` for the wire value.
//!
//! A value outside the set still deserializes, as `Unrecognised(text)`, because serde would
//! stop loading at the first bad value with its own `unknown variant` message, while
//! `validate/` reports every problem at once, each with its own code and "did you mean" help.
//! A loaded blueprint never holds `Unrecognised`: validation refuses it. In the JSON schema the
//! key stays a string; the field's `#[schemars(extend("enum" = ...))]` lists [`NAMES`].
//!
//! [`NAMES`]: crate::blueprint::model::AuthenticationMode::NAMES

macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
            /// A value outside the set, as written; validation reports it.
            Unrecognised(String),
        }

        impl $name {
            /// Every value of the set, in the order AWS documents them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire values of [`Self::ALL`], in the same order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The value as AWS spells it (an unrecognised one as written).
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unrecognised(text) => text,
                }
            }

            /// Whether the value is one of the set.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unrecognised(_))
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match text.as_str() {
                    $( $wire => $name::$variant, )+
                    _ => $name::Unrecognised(text),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($name::from)
            }
        }

        /// The schema's `default` is the wire value.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(generator)
            }
        }
    };
}

pub(crate) use closed_set;
