namespace Distillery;

/// <summary>Bad input from a user (file, URL, setting): the message names the problem and is shown as is.
/// Never retried by the workflow, exit code 2 in the CLI, HTTP 400 in the API.</summary>
public class InvalidInputException(string message, Exception? inner = null) : Exception(message, inner);
