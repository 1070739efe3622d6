namespace Distillery;

/// <summary>Bad input from a user (file, URL, setting): the message names the problem and is shown as is.
/// Never retried by the workflow, exit code 2 in the CLI, HTTP 400 in the API.</summary>
public class InvalidInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A remote source that did not answer usably (HTTP 5xx, a reset or refused connection, a timeout) even after
/// retries: a transient fault, not bad input. The workflow retries it; the CLI exits 1; the message says "unreachable".</summary>
public class SourceUnreachableException(string message, Exception? inner = null) : IOException(message, inner);
