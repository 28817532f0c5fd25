using System.Globalization;

namespace BedrockImport.Engine.EventStream;

/// <summary>The ten header value types of the event-stream framing (the byte on the wire).</summary>
public enum EventStreamHeaderType : byte
{
    BoolTrue = 0,
    BoolFalse = 1,
    Byte = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    ByteArray = 6,
    String = 7,
    Timestamp = 8,
    Uuid = 9,
}

/// <summary>One event-stream header. Create with the static factories; read with the As* accessors.</summary>
public sealed class EventStreamHeader
{
    private readonly object _value;

    private EventStreamHeader(string name, EventStreamHeaderType type, object value)
    {
        if (name == null)
        {
            throw new ArgumentNullException(nameof(name));
        }

        if (name.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) > 255)
        {
            throw new ArgumentException("An event-stream header name must be 1 to 255 UTF-8 bytes.", nameof(name));
        }

        Name = name;
        Type = type;
        _value = value;
    }

    public string Name { get; }
    public EventStreamHeaderType Type { get; }

    /// <summary>The value as a .NET object: bool, sbyte, short, int, long, byte[], string, DateTimeOffset or Guid.</summary>
    public object Value => _value is byte[] bytes ? bytes.Clone() : _value;

    public static EventStreamHeader Bool(string name, bool value)
        => new EventStreamHeader(name, value ? EventStreamHeaderType.BoolTrue : EventStreamHeaderType.BoolFalse, value);
    public static EventStreamHeader Byte(string name, sbyte value) => new EventStreamHeader(name, EventStreamHeaderType.Byte, value);
    public static EventStreamHeader Int16(string name, short value) => new EventStreamHeader(name, EventStreamHeaderType.Int16, value);
    public static EventStreamHeader Int32(string name, int value) => new EventStreamHeader(name, EventStreamHeaderType.Int32, value);
    public static EventStreamHeader Int64(string name, long value) => new EventStreamHeader(name, EventStreamHeaderType.Int64, value);

    public static EventStreamHeader ByteArray(string name, byte[] value)
    {
        if (value == null)
        {
            throw new ArgumentNullException(nameof(value));
        }

        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException("An event-stream byte-array header holds at most 65535 bytes.", nameof(value));
        }

        return new EventStreamHeader(name, EventStreamHeaderType.ByteArray, value.Clone());
    }

    public static EventStreamHeader String(string name, string value)
    {
        if (value == null)
        {
            throw new ArgumentNullException(nameof(value));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(value) > ushort.MaxValue)
        {
            throw new ArgumentException("An event-stream string header holds at most 65535 UTF-8 bytes.", nameof(value));
        }

        return new EventStreamHeader(name, EventStreamHeaderType.String, value);
    }

    /// <summary>Millisecond precision on the wire (milliseconds since the Unix epoch).</summary>
    public static EventStreamHeader Timestamp(string name, DateTimeOffset value)
        => new EventStreamHeader(name, EventStreamHeaderType.Timestamp, DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds()));

    /// <summary>The UUID is written in RFC 4122 byte order (the order of its text form).</summary>
    public static EventStreamHeader Uuid(string name, Guid value) => new EventStreamHeader(name, EventStreamHeaderType.Uuid, value);

    public bool AsBool() => (bool)Expect(EventStreamHeaderType.BoolTrue, EventStreamHeaderType.BoolFalse);
    public sbyte AsByte() => (sbyte)Expect(EventStreamHeaderType.Byte);
    public short AsInt16() => (short)Expect(EventStreamHeaderType.Int16);
    public int AsInt32() => (int)Expect(EventStreamHeaderType.Int32);
    public long AsInt64() => (long)Expect(EventStreamHeaderType.Int64);
    public byte[] AsByteArray() => (byte[])((byte[])Expect(EventStreamHeaderType.ByteArray)).Clone();
    public string AsString() => (string)Expect(EventStreamHeaderType.String);
    public DateTimeOffset AsTimestamp() => (DateTimeOffset)Expect(EventStreamHeaderType.Timestamp);
    public Guid AsUuid() => (Guid)Expect(EventStreamHeaderType.Uuid);

    internal object RawValue => _value;

    private object Expect(EventStreamHeaderType type, EventStreamHeaderType? alternative = null)
    {
        if (Type != type && Type != alternative)
        {
            throw new InvalidOperationException($"Event-stream header '{Name}' is of type {Type}, not {type}.");
        }

        return _value;
    }

    public override string ToString()
    {
        string text;
        switch (_value)
        {
            case byte[] bytes:
                text = "0x" + BitConverter.ToString(bytes).Replace("-", "");
                break;
            case DateTimeOffset timestamp:
                text = timestamp.ToString("o", CultureInfo.InvariantCulture);
                break;
            case IFormattable formattable:
                text = formattable.ToString(null, CultureInfo.InvariantCulture);
                break;
            default:
                text = _value.ToString() ?? "";
                break;
        }

        return Name + ": " + text;
    }

    internal static EventStreamHeader FromWire(string name, EventStreamHeaderType type, object value) => new EventStreamHeader(name, type, value);
}
