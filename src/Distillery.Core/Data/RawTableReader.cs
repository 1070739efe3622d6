using System.Buffers;
using System.Globalization;
using System.Text;
using nietras.SeparatedValues;

namespace Distillery.Data;

/// <summary>Reads a comma-separated file (RFC 4180 quoting, UTF-8 with or without BOM) into a <see cref="RawTable"/>.</summary>
public static class RawTableReader
{
    /// <summary>Default size limit: 256 MB.</summary>
    public const long DefaultMaxBytes = 256L << 20;

    /// <summary>Bytes inspected at the start of the file to tell text from binary.</summary>
    public const int SniffBytes = 8192;

    /// <summary>Parses <paramref name="stream"/> as CSV. Throws <see cref="InvalidInputException"/> (message starts with
    /// <paramref name="sourceName"/>) for: binary content, an empty file, a wrong delimiter, a duplicate header name,
    /// no <c>date</c> column, a row whose field count differs from the header, no data rows, more than
    /// <paramref name="maxBytes"/> bytes (checked while reading).</summary>
    public static RawTable Read(Stream stream, string sourceName, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (maxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxBytes));

        var prefix = ReadPrefix(stream, SniffBytes, out var atEnd);
        if (prefix.Length > maxBytes) throw TooLarge(sourceName, maxBytes);
        CheckText(prefix, atEnd, sourceName);

        using var limited = new LimitedReadStream(stream, prefix, maxBytes, sourceName);
        try
        {
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true, HasHeader = true })
                                  .From(limited);
            if (reader.Header.IsEmpty) throw new InvalidInputException($"{sourceName}: the file is empty");
            var columns = reader.Header.ColNames.ToArray();

            if (columns.Length == 1)
            {
                var h = columns[0];
                string? wrong = h.Contains(';') ? "semicolons (;)" : h.Contains('\t') ? "tabs" : h.Contains('|') ? "pipes (|)" : null;
                if (wrong != null)
                    throw new InvalidInputException(
                        $"{sourceName}: the header has a single column '{Shorten(h)}': the file uses {wrong} as the delimiter, but a comma-separated file is expected");
            }
            if (Array.IndexOf(columns, "date") < 0)
                throw new InvalidInputException($"{sourceName}: no 'date' column in the header (columns: {ListSample(columns)})");

            var rows = new List<string[]>();
            var lines = new List<int>();
            foreach (var row in reader)
            {
                if (row.ColCount == 1 && columns.Length > 1 && row.Span.Length == 0) continue; // blank line (pandas skips them too)
                if (row.ColCount != columns.Length)
                    throw new InvalidInputException(
                        $"{sourceName}: line {row.LineNumberFrom} has {row.ColCount} fields but the header has {columns.Length}");
                var cells = new string[columns.Length];
                for (var i = 0; i < cells.Length; i++) cells[i] = row[i].ToString();
                rows.Add(cells);
                lines.Add(row.LineNumberFrom);
            }
            if (rows.Count == 0) throw new InvalidInputException($"{sourceName}: the file has a header but no data rows");
            return new RawTable(sourceName, columns, rows) { LineNumbers = lines };
        }
        catch (ArgumentException e) // Sep: duplicate header names and similar
        {
            throw new InvalidInputException($"{sourceName}: invalid CSV: {e.Message}", e);
        }
    }

    internal static InvalidInputException TooLarge(string source, long maxBytes) =>
        new($"{source}: the file exceeds the {FormatMb(maxBytes)} MB limit");

    internal static string FormatMb(long bytes)
    {
        var mb = bytes / 1048576.0;
        var s = mb.ToString("0.###", CultureInfo.InvariantCulture);
        return s == "0" ? mb.ToString("G3", CultureInfo.InvariantCulture) : s;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    private static string ListSample(IReadOnlyList<string> names) =>
        names.Count <= 8 ? string.Join(", ", names) : string.Join(", ", names.Take(8)) + $", ... ({names.Count} in all)";

    private static byte[] ReadPrefix(Stream stream, int count, out bool atEnd)
    {
        var buf = new byte[count];
        var n = 0;
        atEnd = false;
        while (n < count)
        {
            var r = stream.Read(buf, n, count - n);
            if (r == 0) { atEnd = true; break; }
            n += r;
        }
        return n == count ? buf : buf[..n];
    }

    /// <summary>Rejects NUL bytes and invalid UTF-8 in <paramref name="prefix"/>, and an empty (or whitespace-only) file.</summary>
    private static void CheckText(byte[] prefix, bool atEnd, string source)
    {
        ReadOnlySpan<byte> span = prefix;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        var offset = prefix.Length - span.Length;
        if (span.IndexOf((byte)0) is var nul and >= 0)
            throw new InvalidInputException($"{source}: is not a CSV text file (binary content: NUL byte at offset {offset + nul})");
        var pos = 0;
        var onlyWhitespace = true;
        while (pos < span.Length)
        {
            var status = Rune.DecodeFromUtf8(span[pos..], out var rune, out var consumed);
            if (status == OperationStatus.NeedMoreData && !atEnd) break; // sequence cut by the sniff window
            if (status != OperationStatus.Done)
                throw new InvalidInputException($"{source}: is not a CSV text file (invalid UTF-8 at offset {offset + pos})");
            if (!Rune.IsWhiteSpace(rune)) onlyWhitespace = false;
            pos += consumed;
        }
        if (atEnd && onlyWhitespace) throw new InvalidInputException($"{source}: the file is empty");
    }
}

/// <summary>Read-only stream that first replays <c>prefix</c>, then the inner stream, and throws
/// <see cref="InvalidInputException"/> as soon as more than <c>maxBytes</c> bytes in total have been read.</summary>
internal sealed class LimitedReadStream(Stream inner, byte[] prefix, long maxBytes, string source) : Stream
{
    private int _prefixPos;
    private long _total;

    public long BytesRead => _total;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        int n;
        if (_prefixPos < prefix.Length)
        {
            n = Math.Min(buffer.Length, prefix.Length - _prefixPos);
            prefix.AsSpan(_prefixPos, n).CopyTo(buffer);
            _prefixPos += n;
        }
        else n = inner.Read(buffer);
        return Count(n);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        if (_prefixPos < prefix.Length) return Read(buffer.Span);
        return Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        _total += n;
        if (_total > maxBytes) throw RawTableReader.TooLarge(source, maxBytes);
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _total; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
