namespace TorchMmap.Reliability.Fuzz;

/// <summary>The exception policy the fuzzer holds the library to.</summary>
public static class Documented
{
    /// <summary>True for the two exception types a bad file may raise.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>True when it is <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/>.</returns>
    public static bool IsRefusal(Exception error) => error.GetType() == typeof(InvalidDataException) || error.GetType() == typeof(NotSupportedException);

    /// <summary>The short outcome name used in statistics.</summary>
    /// <param name="error">The refusal, or null when the file was read.</param>
    /// <returns><c>read</c>, <c>InvalidData</c> or <c>NotSupported</c>.</returns>
    public static string Outcome(Exception? error) => error switch
    {
        null => "read",
        InvalidDataException => "InvalidData",
        NotSupportedException => "NotSupported",
        _ => error.GetType().Name,
    };

    /// <summary>Throws unless <paramref name="error"/> is a documented refusal whose message names <paramref name="path"/>.</summary>
    /// <param name="error">The exception.</param>
    /// <param name="path">The file it is about.</param>
    /// <param name="what">The operation, for the failure message.</param>
    /// <exception cref="FuzzFailureException">Another exception type, or a message that does not name the file.</exception>
    public static void RequireRefusal(Exception error, string path, string what)
    {
        if (!IsRefusal(error))
            throw new FuzzFailureException($"{what} threw {error.GetType().Name}, not InvalidDataException or NotSupportedException: {error.Message}", error);
        if (!error.Message.Contains(path, StringComparison.Ordinal))
            throw new FuzzFailureException($"{what} refused the file but the message does not name it: {error.Message}", error);
    }

    /// <summary>Throws unless the outcome matches an expectation of refusal.</summary>
    /// <param name="expect">The expectation.</param>
    /// <param name="error">The refusal, or null when the file was read.</param>
    /// <exception cref="FuzzFailureException">The outcome does not match.</exception>
    public static void RequireMatch(Expect expect, Exception? error)
    {
        bool ok = expect switch
        {
            Expect.Accept => error is null,
            Expect.RefuseInvalid => error is InvalidDataException,
            Expect.RefuseUnsupported => error is NotSupportedException,
            Expect.RefuseAny => error is not null,
            _ => true,
        };
        if (!ok)
            throw new FuzzFailureException($"Expected {expect}, but the outcome was {Outcome(error)}{(error is null ? "" : ": " + error.Message)}", error ?? new InvalidOperationException("read"));
    }

    /// <summary>Runs <paramref name="action"/> and returns what it threw, or null: the fuzzer judges every exception itself.</summary>
    /// <param name="action">The operation under test.</param>
    /// <returns>The exception, or null when the action finished.</returns>
    public static Exception? Try(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
