namespace Distillery.Data;

/// <summary>numpy's legacy <c>RandomState(seed)</c> for an integer seed: MT19937 seeded with init_genrand
/// (numpy's <c>mt19937_seed</c>), with the parts sklearn's KFold uses (<c>shuffle</c> of a 1-d array).</summary>
public sealed class NumpyRandomState
{
    private const int N = 624, M = 397;
    private const uint MatrixA = 0x9908b0df, UpperMask = 0x80000000, LowerMask = 0x7fffffff;
    private readonly uint[] _mt = new uint[N];
    private int _pos;

    /// <summary>Same as <c>numpy.random.RandomState(seed)</c>; seed must be in [0, 2^32−1].</summary>
    public NumpyRandomState(long seed)
    {
        if (seed is < 0 or > uint.MaxValue)
            throw new InvalidInputException($"random seed must be between 0 and 2^32-1, got {seed}");
        var s = (uint)seed;
        for (var i = 0; i < N; i++)
        {
            _mt[i] = s;
            s = unchecked(1812433253u * (s ^ (s >> 30)) + (uint)i + 1u);
        }
        _pos = N;
    }

    /// <summary>Next raw 32-bit MT19937 output (genrand_int32).</summary>
    public uint NextUInt32()
    {
        if (_pos >= N) Generate();
        var y = _mt[_pos++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    private void Generate()
    {
        int k;
        uint y;
        for (k = 0; k < N - M; k++)
        {
            y = (_mt[k] & UpperMask) | (_mt[k + 1] & LowerMask);
            _mt[k] = _mt[k + M] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        }
        for (; k < N - 1; k++)
        {
            y = (_mt[k] & UpperMask) | (_mt[k + 1] & LowerMask);
            _mt[k] = _mt[k + (M - N)] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        }
        y = (_mt[N - 1] & UpperMask) | (_mt[0] & LowerMask);
        _mt[N - 1] = _mt[M - 1] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        _pos = 0;
    }

    /// <summary>numpy's <c>random_interval(max)</c>: uniform integer in [0, max] by masked rejection sampling.</summary>
    public ulong RandomInterval(ulong max)
    {
        if (max == 0) return 0;
        var mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        ulong value;
        if (max <= 0xffffffffUL)
        {
            while ((value = NextUInt32() & mask) > max) { }
        }
        else
        {
            while ((value = NextUInt64() & mask) > max) { }
        }
        return value;
    }

    private ulong NextUInt64() => ((ulong)NextUInt32() << 32) | NextUInt32();

    /// <summary><c>RandomState.shuffle</c> of a 1-d array: Fisher–Yates from the end.</summary>
    public void Shuffle<T>(T[] items)
    {
        for (var i = items.Length - 1; i >= 1; i--)
        {
            var j = (int)RandomInterval((ulong)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
