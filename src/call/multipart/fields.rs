//! The serde `Serializer` that turns a body into form fields: the body must be a struct or a map; each
//! top-level field becomes a [`Value`] (scalars as text, file parts by their capture index, arrays as
//! repeated values, objects as JSON).

use serde::ser::{self, Serialize, SerializeSeq, SerializeStruct};

use super::capture::MARKER;

/// One form field before encoding.
pub(super) enum Value {
    Text(String),
    File(usize),
    Json(serde_json::Value),
    Many(Vec<Value>),
    Absent,
}

/// Serializes the body itself: it must be a struct or a map (its fields become parts).
#[derive(Default)]
pub(super) struct Fields(pub(super) Vec<(String, Value)>);

pub(super) type JsonError = serde_json::Error;

fn unsupported(what: &str) -> JsonError {
    ser::Error::custom(format!("a multipart body must be an object, not {what}"))
}

macro_rules! refuse {
    ($($f:ident($($t:ty),*)),*) => {
        $(fn $f(self, $(_: $t),*) -> Result<Self::Ok, JsonError> { Err(unsupported(stringify!($f))) })*
    };
}

impl ser::Serializer for Fields {
    type Ok = Fields;
    type Error = JsonError;
    type SerializeSeq = ser::Impossible<Fields, JsonError>;
    type SerializeTuple = ser::Impossible<Fields, JsonError>;
    type SerializeTupleStruct = ser::Impossible<Fields, JsonError>;
    type SerializeTupleVariant = ser::Impossible<Fields, JsonError>;
    type SerializeMap = FieldsMap;
    type SerializeStruct = Fields;
    type SerializeStructVariant = ser::Impossible<Fields, JsonError>;

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str)
    );

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Fields, JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<Fields, JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Fields, JsonError> {
        Err(unsupported("an enum"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        Err(unsupported("an array"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, JsonError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, JsonError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        Err(unsupported("an enum"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<FieldsMap, JsonError> {
        Ok(FieldsMap { fields: self, key: None })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields, JsonError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        Err(unsupported("an enum"))
    }
}

impl SerializeStruct for Fields {
    type Ok = Fields;
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), JsonError> {
        self.0.push((key.to_string(), value.serialize(FieldValue)?));
        Ok(())
    }
    fn end(self) -> Result<Fields, JsonError> {
        Ok(self)
    }
}

/// Free-form bodies (`additionalProperties`) serialize as maps: keys must be strings.
pub(super) struct FieldsMap {
    fields: Fields,
    key: Option<String>,
}

impl ser::SerializeMap for FieldsMap {
    type Ok = Fields;
    type Error = JsonError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), JsonError> {
        match serde_json::to_value(key)? {
            serde_json::Value::String(k) => self.key = Some(k),
            other => return Err(ser::Error::custom(format!("multipart field names must be strings, not {other}"))),
        }
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        let key = self.key.take().ok_or_else(|| <JsonError as ser::Error>::custom("value without a key"))?;
        self.fields.0.push((key, value.serialize(FieldValue)?));
        Ok(())
    }
    fn end(self) -> Result<Fields, JsonError> {
        Ok(self.fields)
    }
}

/// Serializes one field's value into a [`Value`].
pub(super) struct FieldValue;

fn text(v: impl ToString) -> Result<Value, JsonError> {
    Ok(Value::Text(v.to_string()))
}

/// Serializes into JSON, then wraps the result (objects and nested values).
pub(super) struct JsonPart<S>(S);

impl<S: SerializeSeq<Ok = serde_json::Value, Error = JsonError>> SerializeSeq for JsonPart<S> {
    type Ok = Value;
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.0.serialize_element(value)
    }
    fn end(self) -> Result<Value, JsonError> {
        self.0.end().map(Value::Json)
    }
}

macro_rules! json_part {
    ($trait:ident, $method:ident) => {
        impl<S: ser::$trait<Ok = serde_json::Value, Error = JsonError>> ser::$trait for JsonPart<S> {
            type Ok = Value;
            type Error = JsonError;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
                self.0.$method(value)
            }
            fn end(self) -> Result<Value, JsonError> {
                self.0.end().map(Value::Json)
            }
        }
    };
}
json_part!(SerializeTuple, serialize_element);
json_part!(SerializeTupleStruct, serialize_field);
json_part!(SerializeTupleVariant, serialize_field);

impl<S: ser::SerializeMap<Ok = serde_json::Value, Error = JsonError>> ser::SerializeMap for JsonPart<S> {
    type Ok = Value;
    type Error = JsonError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), JsonError> {
        self.0.serialize_key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.0.serialize_value(value)
    }
    fn end(self) -> Result<Value, JsonError> {
        self.0.end().map(Value::Json)
    }
}

macro_rules! json_struct_part {
    ($trait:ident) => {
        impl<S: ser::$trait<Ok = serde_json::Value, Error = JsonError>> ser::$trait for JsonPart<S> {
            type Ok = Value;
            type Error = JsonError;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), JsonError> {
                self.0.serialize_field(key, value)
            }
            fn end(self) -> Result<Value, JsonError> {
                self.0.end().map(Value::Json)
            }
        }
    };
}
json_struct_part!(SerializeStruct);
json_struct_part!(SerializeStructVariant);

/// An array field: each element is a part of its own (files, text) under the field's name.
pub(super) struct Many(Vec<Value>);

impl SerializeSeq for Many {
    type Ok = Value;
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.0.push(value.serialize(FieldValue)?);
        Ok(())
    }
    fn end(self) -> Result<Value, JsonError> {
        Ok(Value::Many(self.0))
    }
}

pub(super) type JsonSer = serde_json::value::Serializer;

impl ser::Serializer for FieldValue {
    type Ok = Value;
    type Error = JsonError;
    type SerializeSeq = Many;
    type SerializeTuple = JsonPart<<JsonSer as ser::Serializer>::SerializeTuple>;
    type SerializeTupleStruct = JsonPart<<JsonSer as ser::Serializer>::SerializeTupleStruct>;
    type SerializeTupleVariant = JsonPart<<JsonSer as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = JsonPart<<JsonSer as ser::Serializer>::SerializeMap>;
    type SerializeStruct = JsonPart<<JsonSer as ser::Serializer>::SerializeStruct>;
    type SerializeStructVariant = JsonPart<<JsonSer as ser::Serializer>::SerializeStructVariant>;

    fn serialize_bool(self, v: bool) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i8(self, v: i8) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_str(self, v: &str) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, JsonError> {
        Ok(Value::Text(String::from_utf8_lossy(v).into_owned()))
    }
    fn serialize_none(self) -> Result<Value, JsonError> {
        Ok(Value::Absent)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, JsonError> {
        Ok(Value::Absent)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, JsonError> {
        Ok(Value::Absent)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Value, JsonError> {
        text(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, JsonError> {
        if name == MARKER {
            let index = serde_json::to_value(value)?
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| <JsonError as ser::Error>::custom("file part index"))?;
            return Ok(Value::File(index));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, JsonError> {
        ser::Serializer::serialize_newtype_variant(JsonSer {}, name, index, variant, value).map(Value::Json)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Many, JsonError> {
        Ok(Many(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, JsonError> {
        ser::Serializer::serialize_tuple(JsonSer {}, len).map(JsonPart)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, JsonError> {
        ser::Serializer::serialize_tuple_struct(JsonSer {}, name, len).map(JsonPart)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        ser::Serializer::serialize_tuple_variant(JsonSer {}, name, index, variant, len).map(JsonPart)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        ser::Serializer::serialize_map(JsonSer {}, len).map(JsonPart)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, JsonError> {
        ser::Serializer::serialize_struct(JsonSer {}, name, len).map(JsonPart)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        ser::Serializer::serialize_struct_variant(JsonSer {}, name, index, variant, len).map(JsonPart)
    }
}
