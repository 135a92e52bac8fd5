using System.Runtime.InteropServices;
using System.Text;

namespace OrleansLlm.Engine.Tokenization;

/// <summary>
/// NFC/NFD/NFKC/NFKD that also work under InvariantGlobalization, where string.Normalize silently leaves
/// non-ASCII text unchanged: we then call ICU's unorm2 API ourselves, probing library versions the way the
/// runtime does. Without ICU, text passes through unchanged (already-composed input, the usual case, is
/// unaffected).
/// </summary>
internal static unsafe class UnicodeNormalization
{
    private const int BufferOverflowError = 15; // U_BUFFER_OVERFLOW_ERROR

    private static readonly bool RuntimeNormalizes = "e\u0301".Normalize(NormalizationForm.FormC).Length == 1;
    private static readonly delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int> IcuNormalize;
    private static readonly Dictionary<NormalizationForm, IntPtr> IcuInstances = [];

    static UnicodeNormalization()
    {
        if (RuntimeNormalizes || !TryLoadIcu(out var lib, out var suffix)) return;
        if (!NativeLibrary.TryGetExport(lib, "unorm2_normalize" + suffix, out var normalize)) return;
        IcuInstances[NormalizationForm.FormC] = Instance(lib, "unorm2_getNFCInstance" + suffix);
        IcuInstances[NormalizationForm.FormD] = Instance(lib, "unorm2_getNFDInstance" + suffix);
        IcuInstances[NormalizationForm.FormKC] = Instance(lib, "unorm2_getNFKCInstance" + suffix);
        IcuInstances[NormalizationForm.FormKD] = Instance(lib, "unorm2_getNFKDInstance" + suffix);
        IcuNormalize = (delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int>)normalize;
    }

    public static string Normalize(string text, NormalizationForm form)
    {
        if (Ascii.IsValid(text)) return text; // ASCII is already in every normal form
        if (RuntimeNormalizes) return text.Normalize(form);
        if (IcuNormalize == null || IcuInstances[form] == IntPtr.Zero) return text;
        var capacity = text.Length * 2 + 16;
        while (true)
        {
            var buffer = new char[capacity];
            int error = 0, length;
            fixed (char* src = text)
            fixed (char* dest = buffer)
                length = IcuNormalize(IcuInstances[form], src, text.Length, dest, capacity, &error);
            if (error == BufferOverflowError) { capacity = length; continue; }
            return error > 0 ? text : new string(buffer, 0, length);
        }
    }

    private static bool TryLoadIcu(out IntPtr lib, out string suffix)
    {
        for (var version = 90; version >= 50; version--)
        {
            if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out lib)) continue;
            suffix = NativeLibrary.TryGetExport(lib, $"unorm2_normalize_{version}", out _) ? $"_{version}" : "";
            return true;
        }
        suffix = "";
        return NativeLibrary.TryLoad("icuuc", out lib);
    }

    private static IntPtr Instance(IntPtr lib, string getter)
    {
        if (!NativeLibrary.TryGetExport(lib, getter, out var fn)) return IntPtr.Zero;
        var error = 0;
        var instance = ((delegate* unmanaged<int*, IntPtr>)fn)(&error);
        return error > 0 ? IntPtr.Zero : instance;
    }
}
