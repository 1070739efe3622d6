using Distillery.Data;

namespace Distillery.Tests.Data;

public class MinMaxScalerTests
{
    [Fact]
    public void Fits_each_column_and_scales_it_to_0_1_as_sklearn()
    {
        var scaler = MinMaxScaler.Fit([[2.0, -1.0], [4.0, 3.0], [6.0, 1.0]], 2);
        Assert.Equal([2.0, -1.0], scaler.Min);
        Assert.Equal([6.0, 3.0], scaler.Max);
        Assert.Equal(0.0, scaler.Transform(0, 2.0));
        Assert.Equal(0.5, scaler.Transform(0, 4.0));
        Assert.Equal(1.0, scaler.Transform(1, 3.0));
        Assert.Equal(1.5, scaler.Transform(0, 8.0)); // no clipping
        Assert.Equal(4.0, scaler.Inverse(0, 0.5));
        Assert.Equal(3.0, scaler.Inverse(1, 1.0));
    }

    [Fact]
    public void A_constant_column_scales_by_1_and_maps_back_to_its_minimum()
    {
        var scaler = MinMaxScaler.Fit([[5.0], [5.0]], 1);
        // sklearn's _handle_zeros_in_scale: scale 1, so x becomes x − min.
        Assert.Equal(1.0, scaler.Scale[0]);
        Assert.Equal(0.0, scaler.Transform(0, 5.0));
        Assert.Equal(3.0, scaler.Transform(0, 8.0));
        // min + s·(max − min), the report's and the metrics' inverse: every scaled value is the minimum.
        Assert.Equal(5.0, scaler.Inverse(0, 0.0));
        Assert.Equal(5.0, scaler.Inverse(0, 0.7));
    }

    [Fact]
    public void TransformInPlace_gives_what_Transform_gives()
    {
        double[][] rows = [[0.1, 7.0], [0.3, 11.0], [0.7, 13.0]];
        var scaler = MinMaxScaler.Fit(rows, 2);
        var expected = rows.Select(r => r.Select((x, j) => scaler.Transform(j, x)).ToArray()).ToArray();
        scaler.TransformInPlace(rows);
        Assert.Equal(expected, rows);
    }
}
