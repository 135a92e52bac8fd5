using OrleansLlm.Engine.Checkpoints;
using Xunit;
using static TorchSharp.torch;

namespace OrleansLlm.Tests.Engine;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("olm-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Range(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    private string WriteMatrix(string file = "model.safetensors")
    {
        var path = Path.Combine(_dir, file);
        SafeTensorsWriter.Write(path, new Dictionary<string, (long[], float[])>
        {
            ["m"] = ([6, 5], Range(30)),
            ["v"] = ([7], Range(7)),
        });
        return path;
    }

    [Theory]
    [InlineData(1, 4, 0, 5)]
    [InlineData(0, 6, 2, 5)]
    [InlineData(2, 3, 1, 2)]
    public void RowAndColumnSlicesEqualSlicesOfTheWholeTensor(int r0, int r1, int c0, int c1)
    {
        using var file = new SafeTensorsFile(WriteMatrix());
        using var whole = file.Read("m");
        using var slice = file.Read("m", r0..r1, c0..c1);
        using var want = whole.narrow(0, r0, r1 - r0).narrow(1, c0, c1 - c0);
        Assert.Equal(want.data<float>().ToArray(), slice.data<float>().ToArray());
        Assert.Equal(want.shape, slice.shape);
        using var rows = file.Read("v", 2..5);
        Assert.Equal([2f, 3f, 4f], rows.data<float>().ToArray());
    }

    /// <summary>
    /// A tensor read is a copy: the file's pages it came from leave the process (they stay in the system's file cache),
    /// so a loaded model is held once, not once as tensors and again as the mapped file.
    /// </summary>
    [Fact]
    public void ReadTensorsDoNotKeepTheFilesPagesInTheProcess()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = Path.Combine(_dir, "big.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, (long[], float[])> { ["w"] = ([1024, 4096], new float[1024 * 4096]) });
        using var file = new SafeTensorsFile(path);
        using var w = file.Read("w");
        using var rows = file.Read("w", 100..900);
        Assert.Equal(16L << 20, w.NumberOfElements * 4);
        Assert.InRange(MappedKib(path), 0, 64);
    }

    /// <summary>
    /// A large slice read a block of rows at a time and converted to the shard's dtype equals the slice read whole and
    /// converted (blocks of 3 rows here, so the slices below take several, one of them short).
    /// </summary>
    [Theory]
    [InlineData(0, 6, 0, 5)]
    [InlineData(1, 6, 2, 5)]
    public void SlicesReadByBlocksOfRowsEqualTheSliceReadWhole(int r0, int r1, int c0, int c1)
    {
        using var checkpoint = Checkpoint.Open(Path.GetDirectoryName(WriteMatrix())!);
        var blocks = new OrleansLlm.Engine.Model.SliceReader(checkpoint, ScalarType.Float64, CPU, blockElements: 3 * (c1 - c0));
        using var got = blocks.Read("m", [6, 5], r0..r1, c0..c1);
        using var want = checkpoint.Read("m", [6, 5], r0..r1, c0..c1).to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, got.dtype);
        Assert.Equal(want.data<double>().ToArray(), got.data<double>().ToArray());
    }

    /// <summary>Resident KiB of this process's mappings of <paramref name="path"/>, from /proc/self/smaps.</summary>
    private static long MappedKib(string path)
    {
        long kib = 0;
        var inFile = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-') && !line.EndsWith(':')) inFile = line.EndsWith(path, StringComparison.Ordinal);
            else if (inFile && line.StartsWith("Rss:", StringComparison.Ordinal)) kib += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        return kib;
    }

    [Theory]
    [InlineData("F16", ScalarType.Float16)]
    [InlineData("BF16", ScalarType.BFloat16)]
    public void HalfPrecisionTensorsAreReadInTheirDType(string dtype, ScalarType expected)
    {
        var path = Path.Combine(_dir, "model.safetensors");
        float[] values = [1.5f, -2f, 0.25f, 96f, -0.125f, 3f];
        SafeTensorsWriter.Write(path, new Dictionary<string, (long[], float[])> { ["w"] = ([2, 3], values) }, dtype);
        using var file = new SafeTensorsFile(path);
        using var w = file.Read("w", cols: 1..3);
        Assert.Equal(expected, w.dtype);
        using var f32 = w.to(ScalarType.Float32);
        Assert.Equal([-2f, 0.25f, -0.125f, 3f], f32.data<float>().ToArray());
    }

    [Fact]
    public void ShardedCheckpointsAreReadThroughTheIndex()
    {
        SafeTensorsWriter.Write(Path.Combine(_dir, "a.safetensors"), new Dictionary<string, (long[], float[])> { ["x"] = ([2], [1, 2]) });
        SafeTensorsWriter.Write(Path.Combine(_dir, "b.safetensors"), new Dictionary<string, (long[], float[])> { ["y"] = ([1], [3]) });
        File.WriteAllText(Path.Combine(_dir, "model.safetensors.index.json"),
            """{"metadata": {}, "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}}""");
        using var ckpt = Checkpoint.Open(_dir);
        using var y = ckpt.Read("y", [1]);
        using var x = ckpt.Read("x", [2]);
        Assert.Equal(3f, y.item<float>());
        Assert.Equal([1f, 2f], x.data<float>().ToArray());
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Open(_dir));
        Assert.Contains("no model.safetensors", e.Message);
        Assert.Contains("not found", Assert.Throws<CheckpointException>(() => Checkpoint.Open(Path.Combine(_dir, "nope"))).Message);
    }

    [Fact]
    public void TruncatedFilesAreRefused()
    {
        var path = WriteMatrix();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => new SafeTensorsFile(path)).Message);
        File.WriteAllBytes(path, bytes[..20]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => new SafeTensorsFile(path)).Message);
    }

    [Fact]
    public void MissingTensorsAndWrongShapesAreNamed()
    {
        WriteMatrix();
        using var ckpt = Checkpoint.Open(_dir);
        var missing = Assert.Throws<CheckpointException>(() => ckpt.Read("model.norm.weight", [5]));
        Assert.Contains("'model.norm.weight' missing", missing.Message);
        var shape = Assert.Throws<CheckpointException>(() => ckpt.Read("m", [5, 6]));
        Assert.Contains("has shape [6, 5], expected [5, 6]", shape.Message);
    }

    [Fact]
    public void ACorruptHeaderIsRefused()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        var json = "{not json"u8.ToArray();
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json]);
        Assert.Contains("corrupt", Assert.Throws<CheckpointException>(() => new SafeTensorsFile(path)).Message);
    }
}

/// <summary>A random checkpoint of a family's config holds the tensors transformers saves for it (names and shapes).</summary>
public sealed class RandomCheckpointTests
{
    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void ARandomCheckpointNamesTheTensorsTransformersSaves(string name)
    {
        var f = new Fixture(name);
        using var file = new SafeTensorsFile(Path.Combine(f.Dir, "model.safetensors"));
        var want = file.Tensors.ToDictionary(t => t.Key, t => string.Join("x", t.Value.Shape));
        var got = RandomCheckpoint.Tensors(f.Config).ToDictionary(t => t.Name, t => string.Join("x", t.Shape));
        Assert.Equal(want.OrderBy(kv => kv.Key), got.OrderBy(kv => kv.Key));
    }

    public static TheoryData<string> FixtureNames() => new(Fixture.Names);
}
