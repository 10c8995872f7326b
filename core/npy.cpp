#include "core/npy.h"

#include "core/error.h"

#include <cstdio>
#include <fstream>

namespace convscope {

void writeNpy(const std::string& path, const torch::Tensor& tensor)
{
    const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    std::string descr;
    if (t.scalar_type() == torch::kFloat32)
        descr = "<f4";
    else if (t.scalar_type() == torch::kLong)
        descr = "<i8";
    else if (t.scalar_type() == torch::kUInt8)
        descr = "|u1";
    else
        throw Error("writeNpy: float32, int64 or uint8 tensors only");
    std::string shape = "(";
    for (int64_t d : t.sizes())
        shape += std::to_string(d) + ", ";
    if (t.dim() > 1)
        shape.resize(shape.size() - 2);
    else if (t.dim() == 1)
        shape.resize(shape.size() - 1);
    shape += ")";
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Magic, version and header length take 10 bytes; the total is padded to 64 with a newline last.
    const size_t total = ((10 + header.size() + 1 + 63) / 64) * 64;
    header += std::string(total - 10 - header.size() - 1, ' ') + "\n";
    const std::string partial = path + ".partial";
    {
        std::ofstream out(partial, std::ios::binary);
        const char magic[] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
        out.write(magic, 8);
        const uint16_t length = static_cast<uint16_t>(header.size());
        const char le[] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
        out.write(le, 2);
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
        if (!out.flush())
            throw Error("cannot write " + path);
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0)
        throw Error("cannot write " + path);
}

} // namespace convscope
