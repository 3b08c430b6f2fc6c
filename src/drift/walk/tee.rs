//! A `Deserializer` wrapper that tells [`Events`] what passes through it: the typed decode of a body
//! (generated types, whatever their serde attributes) drives the parse, and the drift walk listens to
//! the same tokens, so a sampled body is parsed once. Transparent to the type being decoded: every
//! call is forwarded with the same hints, and borrowed strings stay borrowed. A value the type skips
//! (`IgnoredAny`: an unknown property) is parsed here instead of skipped, so the walk sees it too.
//! What cannot be told as events (bytes, enum accesses, keys read as numbers) makes the events blind.

use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::listen::{Events, Scalar};

/// `crate::decode::json_body`, telling `events` what the body holds as `T` is decoded from it.
pub(crate) fn json_body_watched<T: DeserializeOwned, L: Events>(
    body: &[u8],
    events: &mut L,
) -> Result<T, serde_json::Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // Read as `null`, which the body does not hold.
        events.blind();
        return crate::decode::json_body(body);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(Tee::new(&mut deserializer, events))?;
    deserializer.end()?;
    Ok(value)
}

/// `inner`, telling `events` what it parses (`key`: it is an object's key).
pub(crate) struct Tee<'e, D, L> {
    inner: D,
    events: &'e mut L,
    key: bool,
}

impl<'e, D, L> Tee<'e, D, L> {
    pub(crate) fn new(inner: D, events: &'e mut L) -> Self {
        Tee { inner, events, key: false }
    }
}

/// Every `deserialize_*` method: the same call on the inner deserializer, its visitor watched.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* Watch { inner: visitor, events: self.events, key: self.key })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>, L: Events> Deserializer<'de> for Tee<'_, D, L> {
    type Error = D::Error;

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }

    /// Parsed rather than skipped: the walk needs what the type ignores (undeclared properties).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(Watch { inner: visitor, events: self.events, key: self.key })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor passing each visit on to `inner` after telling `events`.
struct Watch<'e, V, L> {
    inner: V,
    events: &'e mut L,
    key: bool,
}

impl<V, L: Events> Watch<'_, V, L> {
    fn scalar(&mut self, scalar: Scalar<'_>) {
        match (self.key, scalar) {
            (true, Scalar::Str(key)) => self.events.key(key),
            (true, _) => self.events.blind(),
            (false, scalar) => self.events.scalar(scalar),
        }
    }
}

/// Visits of one scalar type: told as `$scalar`, then passed on.
macro_rules! scalars {
    ($($method:ident($ty:ty) => $scalar:expr;)*) => {
        $(
            fn $method<E: serde::de::Error>(mut self, v: $ty) -> Result<V::Value, E> {
                self.scalar($scalar(v));
                self.inner.$method(v)
            }
        )*
    };
}

/// Visits the events cannot describe: the body goes unseen, then passed on.
macro_rules! unseen {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: serde::de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.events.blind();
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>, L: Events> Visitor<'de> for Watch<'_, V, L> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    scalars! {
        visit_bool(bool) => Scalar::Bool;
        visit_i8(i8) => |v| Scalar::Int(i64::from(v));
        visit_i16(i16) => |v| Scalar::Int(i64::from(v));
        visit_i32(i32) => |v| Scalar::Int(i64::from(v));
        visit_i64(i64) => Scalar::Int;
        visit_u8(u8) => |v| Scalar::UInt(u64::from(v));
        visit_u16(u16) => |v| Scalar::UInt(u64::from(v));
        visit_u32(u32) => |v| Scalar::UInt(u64::from(v));
        visit_u64(u64) => Scalar::UInt;
        visit_f32(f32) => |v| Scalar::Float(f64::from(v));
        visit_f64(f64) => Scalar::Float;
        visit_str(&str) => Scalar::Str;
        visit_borrowed_str(&'de str) => Scalar::Str;
    }

    unseen! {
        visit_i128(i128);
        visit_u128(u128);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_char<E: serde::de::Error>(mut self, v: char) -> Result<V::Value, E> {
        self.scalar(Scalar::Str(v.encode_utf8(&mut [0; 4])));
        self.inner.visit_char(v)
    }

    fn visit_string<E: serde::de::Error>(mut self, v: String) -> Result<V::Value, E> {
        self.scalar(Scalar::Str(&v));
        self.inner.visit_string(v)
    }

    fn visit_unit<E: serde::de::Error>(mut self) -> Result<V::Value, E> {
        self.scalar(Scalar::Null);
        self.inner.visit_unit()
    }

    fn visit_none<E: serde::de::Error>(mut self) -> Result<V::Value, E> {
        self.scalar(Scalar::Null);
        self.inner.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        if self.key {
            self.events.blind();
        }
        self.inner.visit_some(Tee { inner: deserializer, events: self.events, key: self.key })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Tee { inner: deserializer, events: self.events, key: self.key })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let events = self.events;
        if self.key {
            events.blind();
            return self.inner.visit_seq(seq);
        }
        events.begin_seq();
        let value = self.inner.visit_seq(WatchSeq { inner: seq, events: &mut *events })?;
        events.end_seq();
        Ok(value)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let events = self.events;
        if self.key {
            events.blind();
            return self.inner.visit_map(map);
        }
        events.begin_map();
        let value = self.inner.visit_map(WatchMap { inner: map, events: &mut *events })?;
        events.end_map();
        Ok(value)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.events.blind();
        self.inner.visit_enum(data)
    }
}

/// A seed deserializing through a [`Tee`].
struct WatchSeed<'e, S, L> {
    inner: S,
    events: &'e mut L,
    key: bool,
}

impl<'de, S: DeserializeSeed<'de>, L: Events> DeserializeSeed<'de> for WatchSeed<'_, S, L> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Tee { inner: deserializer, events: self.events, key: self.key })
    }
}

struct WatchSeq<'e, A, L> {
    inner: A,
    events: &'e mut L,
}

impl<'de, A: SeqAccess<'de>, L: Events> SeqAccess<'de> for WatchSeq<'_, A, L> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(WatchSeed { inner: seed, events: &mut *self.events, key: false })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct WatchMap<'e, A, L> {
    inner: A,
    events: &'e mut L,
}

impl<'de, A: MapAccess<'de>, L: Events> MapAccess<'de> for WatchMap<'_, A, L> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(WatchSeed { inner: seed, events: &mut *self.events, key: true })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(WatchSeed { inner: seed, events: &mut *self.events, key: false })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}
