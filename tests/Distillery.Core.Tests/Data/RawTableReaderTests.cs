using System.Text;
using Distillery.Data;

namespace Distillery.Tests.Data;

public class RawTableReaderTests
{
    [Fact]
    public void ReadsUsFl()
    {
        var t = TestCsv.UsFl;
        Assert.Equal(825, t.Columns.Count);
        Assert.Equal(405, t.Rows.Count);
        Assert.Equal("location_key", t.Columns[0]);
        Assert.Equal("date", t.Columns[1]);
        Assert.All(t.Rows, r => Assert.Equal(825, r.Length));
        Assert.Equal("US_FL", t.Rows[0][0]);
        Assert.Equal("2020-01-01", t.Rows[0][1]);
        Assert.Equal(2, t.LineNumbers![0]);
    }

    [Fact]
    public void UnescapesQuotedFieldsAndToleratesBom()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(
            "date,name,x\r\n2020-01-01,\"Miami, FL\",1\r\n2020-01-02,\"say \"\"hi\"\"\",\r\n")).ToArray();
        var t = RawTableReader.Read(new MemoryStream(bytes), "q.csv");
        Assert.Equal(["date", "name", "x"], t.Columns);
        Assert.Equal(2, t.Rows.Count);
        Assert.Equal("Miami, FL", t.Rows[0][1]);
        Assert.Equal("say \"hi\"", t.Rows[1][1]);
        Assert.Equal("", t.Rows[1][2]);
    }

    [Fact]
    public void EmptyFile() =>
        Assert.Equal("e.csv: the file is empty", TestCsv.ErrorOf(() => TestCsv.Read("", "e.csv")));

    [Fact]
    public void WhitespaceOnlyFileIsEmpty() =>
        Assert.Contains("the file is empty", TestCsv.ErrorOf(() => TestCsv.Read("\n \r\n", "e.csv")));

    [Fact]
    public void HeaderOnly() =>
        Assert.Equal("h.csv: the file has a header but no data rows", TestCsv.ErrorOf(() => TestCsv.Read("date,x\n", "h.csv")));

    [Fact]
    public void NoDateColumn()
    {
        var msg = TestCsv.ErrorOf(() => TestCsv.Read("day,x\n2020-01-01,1\n", "d.csv"));
        Assert.StartsWith("d.csv: no 'date' column", msg);
        Assert.Contains("day, x", msg);
    }

    [Fact]
    public void RowWithWrongFieldCountNamesLine()
    {
        var msg = TestCsv.ErrorOf(() => TestCsv.Read("date,x,y\n2020-01-01,1,2\n2020-01-02,1\n", "r.csv"));
        Assert.Equal("r.csv: line 3 has 2 fields but the header has 3", msg);
        msg = TestCsv.ErrorOf(() => TestCsv.Read("date,x\n2020-01-01,1\n\"2020-01-02\n\",1\n2020-01-03,1,9\n", "r.csv"));
        Assert.Equal("r.csv: line 5 has 3 fields but the header has 2", msg);
    }

    [Fact]
    public void NulBytesAreBinary()
    {
        var bytes = new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00 };
        var msg = TestCsv.ErrorOf(() => RawTableReader.Read(new MemoryStream(bytes), "data.zip"));
        Assert.StartsWith("data.zip: is not a CSV text file", msg);
    }

    [Fact]
    public void InvalidUtf8IsBinary()
    {
        var bytes = Encoding.UTF8.GetBytes("date,x\n2020-01-01,").Concat(new byte[] { 0xC3, 0x28, 0xFF, 0x0A }).ToArray();
        var msg = TestCsv.ErrorOf(() => RawTableReader.Read(new MemoryStream(bytes), "b.csv"));
        Assert.StartsWith("b.csv: is not a CSV text file (invalid UTF-8", msg);
    }

    [Fact]
    public void MultiByteCharacterCutBySniffWindowIsFine()
    {
        var head = "date,name\n";
        var filler = new string('a', RawTableReader.SniffBytes - Encoding.UTF8.GetByteCount(head) - "2020-01-01,".Length - 1);
        var text = head + "2020-01-01," + filler + "é\n2020-01-02,b\n";
        var t = TestCsv.Read(text);
        Assert.EndsWith("é", t.Rows[0][1]);
    }

    [Fact]
    public void ExceedsLimit()
    {
        var text = "date,x\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"2020-01-01,{i}\n"));
        var msg = TestCsv.ErrorOf(() => RawTableReader.Read(TestCsv.Stream(text), "big.csv", maxBytes: 1024));
        Assert.StartsWith("big.csv: the file exceeds the ", msg);
        Assert.EndsWith(" MB limit", msg);
    }

    [Fact]
    public void LimitIsEnforcedWhileStreaming()
    {
        // An endless stream: reading everything first would never finish.
        using var endless = new EndlessCsvStream();
        var msg = TestCsv.ErrorOf(() => RawTableReader.Read(endless, "endless.csv", maxBytes: 1L << 20));
        Assert.Equal("endless.csv: the file exceeds the 1 MB limit", msg);
        Assert.True(endless.Produced < 2L << 20, $"read {endless.Produced} bytes");
    }

    [Theory]
    [InlineData(";", "semicolons (;)")]
    [InlineData("\t", "tabs")]
    public void WrongDelimiter(string sep, string named)
    {
        var msg = TestCsv.ErrorOf(() => TestCsv.Read($"date{sep}x{sep}y\n2020-01-01{sep}1{sep}2\n", "w.csv"));
        Assert.StartsWith("w.csv: the header has a single column", msg);
        Assert.Contains($"uses {named} as the delimiter", msg);
    }

    [Fact]
    public void DuplicateHeaderName()
    {
        var msg = TestCsv.ErrorOf(() => TestCsv.Read("date,x,x\n2020-01-01,1,2\n", "dup.csv"));
        Assert.StartsWith("dup.csv: invalid CSV:", msg);
        Assert.Contains("'x'", msg);
    }

    [Fact]
    public void BlankLinesAreSkipped()
    {
        var t = TestCsv.Read("date,x\n2020-01-01,1\n\n2020-01-02,2\n");
        Assert.Equal(2, t.Rows.Count);
        Assert.Equal([2, 4], t.LineNumbers!);
    }

    private sealed class EndlessCsvStream : Stream
    {
        private static readonly byte[] Line = Encoding.UTF8.GetBytes("2020-01-01,12345\n");
        private readonly byte[] _header = Encoding.UTF8.GetBytes("date,x\n");
        public long Produced { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            for (var i = 0; i < count; i++, Produced++)
                buffer[offset + i] = Produced < _header.Length ? _header[Produced] : Line[(Produced - _header.Length) % Line.Length];
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
