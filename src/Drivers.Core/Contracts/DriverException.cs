namespace Drivers.Core.Contracts;

/// <summary>What kind of thing went wrong. Drivers say which; the host's failure policy decides what to do.</summary>
public enum FailureKind
{
    /// <summary>A setting is wrong (bad statement, bad template, path outside its folder, permission): nothing
    /// will work until a person changes it. The host stops, leaving the item recoverable.</summary>
    Configuration,

    /// <summary>This item can never succeed as it is (not JSON, a missing field, too large): the host fails or
    /// dead-letters it and goes on with the others.</summary>
    Data,

    /// <summary>The provider could not be reached or refused for now: the host retries with backoff, bounded,
    /// and a shutdown cancels the retries.</summary>
    Transient,

    /// <summary>The claim on the item is gone (lease lapsed, transaction ended): the host does not settle it;
    /// the source offers it again by its own rules.</summary>
    Lost,

    /// <summary>Never thrown by a driver: what the host calls an exception nobody expected (a bug, exit 70).</summary>
    Bug,
}

/// <summary>
/// The one exception a driver throws for a failure it understands. It carries the kind and, for a
/// configuration error, the setting to change; the message is one line a person can act on (host:port, the
/// flag or env var), never a client library's advice or a secret.
/// </summary>
public sealed class DriverException : Exception
{
    public DriverException(FailureKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    public DriverException() : this(FailureKind.Bug, "driver error") { }

    public DriverException(string message) : this(FailureKind.Bug, message) { }

    public DriverException(string message, Exception inner) : this(FailureKind.Bug, message, inner) { }

    public FailureKind Kind { get; }

    public static DriverException Configuration(string message, Exception? inner = null) => new(FailureKind.Configuration, message, inner);

    public static DriverException DataError(string message, Exception? inner = null) => new(FailureKind.Data, message, inner);

    public static DriverException Transient(string message, Exception? inner = null) => new(FailureKind.Transient, message, inner);

    public static DriverException Lost(string message, Exception? inner = null) => new(FailureKind.Lost, message, inner);
}

/// <summary>
/// A driver whose client library throws its own exception types implements this, so the host can tell a
/// refused connection (transient) from a bad statement (configuration) without the driver wrapping every
/// call. Return null for an exception the driver does not recognise; the host's defaults then apply.
/// </summary>
public interface IFailureTranslator
{
    DriverException? Translate(Exception error);
}
