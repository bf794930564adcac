namespace TorchMmap.Reliability.Fuzz;

/// <summary>A fuzz case broke a property: the library did something it must never do.</summary>
public sealed class FuzzFailureException : Exception
{
    /// <summary>Creates the failure.</summary>
    public FuzzFailureException()
    {
    }

    /// <summary>Creates the failure with a description.</summary>
    /// <param name="message">What went wrong.</param>
    public FuzzFailureException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the failure with a description and the exception that showed it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The unexpected exception.</param>
    public FuzzFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
