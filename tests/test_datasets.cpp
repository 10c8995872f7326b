// Dataset readers on generated files (corrupt ones included), the digits
// sheet against its known layout, and the fixed split.

#include "core/error.h"
#include "io/datasets.h"
#include "io/image_header.h"
#include "io/image_io.h"
#include "io/video_source.h"
#include "tests/tiny_models.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <zlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

using namespace convscope;
using convscope::test::errorOf;
using convscope::test::TempDir;
using convscope::test::writeText;
using testing::HasSubstr;

namespace fs = std::filesystem;

namespace {

void writePng(const std::string& path, float value, int size = 8)
{
    io::writeImage(path, torch::full({3, size, size}, value));
}

// An idx file: magic (0, 0, 0x08, dims), sizes, bytes.
std::string idxBytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data)
{
    std::string s = {0, 0, 8, static_cast<char>(dims.size())};
    for (uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8)
            s += static_cast<char>((d >> shift) & 0xff);
    s.append(data.begin(), data.end());
    return s;
}

// An MJPEG AVI of `count` frames, frame i filled with colour(i); false if OpenCV cannot write one.
bool writeClip(const std::string& path, int count, cv::Size size, const std::function<cv::Scalar(int)>& colour)
{
    cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, size);
    if (!writer.isOpened())
        return false;
    for (int i = 0; i < count; ++i)
        writer.write(cv::Mat(size, CV_8UC3, colour(i)));
    return true;
}

void writeGzip(const std::string& path, const std::string& bytes)
{
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}

} // namespace

TEST(ImageFolder, ClassesLabelsOrderAndSkippedFiles)
{
    TempDir dir;
    fs::create_directories(dir.file("cats"));
    fs::create_directories(dir.file("dogs/nested"));
    fs::create_directories(dir.file("empty"));
    writePng(dir.file("dogs/b.png"), 0.75f);
    writePng(dir.file("dogs/nested/c.png"), 1.0f);
    writePng(dir.file("cats/a.png"), 0.25f);
    io::writeImage(dir.file("cats/z.bmp"), torch::zeros({1, 8, 8}));
    writeText(dir.file("cats/broken.png"), "not a png at all");
    writeText(dir.file("cats/notes.txt"), "ignored");
    auto data = io::openImageFolder(dir.path(), {3, 4, 4});
    EXPECT_EQ(data->classes(), (std::vector<std::string>{"cats", "dogs"})); // empty folder dropped, as torchvision does
    ASSERT_EQ(data->size(), 4);
    EXPECT_EQ(fs::path(data->itemName(0)).filename(), "a.png");
    EXPECT_EQ(fs::path(data->itemName(1)).filename(), "z.bmp");
    EXPECT_EQ(data->label(1), 0);
    EXPECT_EQ(data->label(2), 1);
    EXPECT_EQ(data->label(3), 1);
    auto image = data->image(0);
    EXPECT_EQ(image.sizes(), (std::vector<int64_t>{3, 4, 4}));
    EXPECT_NEAR(image.mean().item<float>(), 64.0 / 255, 1e-6); // 0.25 -> 64 in 8 bits
    EXPECT_EQ(data->skippedCount(), 1);
    EXPECT_EQ(data->skippedSummary(), "1 unreadable item skipped: " + dir.file("cats/broken.png"));
    EXPECT_EQ(data->description(), fs::path(dir.path()).filename().string() + " (4 images, 2 classes)");
}

TEST(ImageFolder, CorruptBodyIsSkippedWhenRead)
{
    TempDir dir;
    writePng(dir.file("good.png"), 0.5f);
    std::ofstream(dir.file("bad.png"), std::ios::binary) << "\x89PNG\r\n\x1a\n garbage";
    auto data = io::openImageFolder(dir.path());
    EXPECT_FALSE(data->labeled());
    ASSERT_EQ(data->size(), 2);
    std::vector<int64_t> loaded;
    auto batch = loadBatch(*data, {0, 1}, &loaded);
    EXPECT_EQ(batch.size(0), 1);
    EXPECT_EQ(loaded, (std::vector<int64_t>{1}));
    EXPECT_EQ(data->skippedCount(), 1);
    EXPECT_THAT(data->skippedSummary(), HasSubstr("bad.png"));
}

TEST(ImageFolder, EmptyMissingAndNonImageFolders)
{
    TempDir dir;
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.path()); }),
              "no images in " + dir.path() + " (looked for png, jpg, bmp, webp, tiff)");
    writeText(dir.file("a.txt"), "x");
    writeText(dir.file("b.csv"), "x");
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.path()); }),
              "no images in " + dir.path() + " (looked for png, jpg, bmp, webp, tiff, 2 file(s) of other kinds)");
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("missing")); }), "dataset not found: " + dir.file("missing"));
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("a.txt")); }),
              "cannot tell what " + dir.file("a.txt") + " is: give a folder of images, an idx file, a video, an image, 'digits', 'digit-canvas' or 'fashion-mnist'");
}

TEST(Idx, RawAndGzipWithLabels)
{
    TempDir dir;
    // Three 2x3 images with pixel values 0..17, labels 2, 0, 1.
    std::vector<uint8_t> pixels(18);
    for (size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = static_cast<uint8_t>(i * 15);
    const std::string images = idxBytes({3, 2, 3}, pixels);
    const std::string labels = idxBytes({3}, {2, 0, 1});
    writeText(dir.file("t10k-images-idx3-ubyte"), images);
    writeText(dir.file("t10k-labels-idx1-ubyte"), labels);
    fs::create_directories(dir.file("gz"));
    writeGzip(dir.file("gz/train-images-idx3-ubyte.gz"), images);
    writeGzip(dir.file("gz/train-labels-idx1-ubyte.gz"), labels);
    for (const std::string& path : {dir.file("t10k-images-idx3-ubyte"), dir.file("gz/train-images-idx3-ubyte.gz")}) {
        auto data = io::openDataset(path);
        ASSERT_EQ(data->size(), 3) << path;
        EXPECT_EQ(data->classes().size(), 3u);
        EXPECT_EQ(data->label(0), 2);
        EXPECT_EQ(data->label(2), 1);
        auto second = data->image(1);
        EXPECT_EQ(second.sizes(), (std::vector<int64_t>{1, 2, 3}));
        EXPECT_FLOAT_EQ(second[0][0][0].item<float>(), 90.0f / 255); // pixel 6 of the file: 6 * 15
        EXPECT_FLOAT_EQ(second[0][1][2].item<float>(), 165.0f / 255);
    }
}

TEST(Idx, CorruptFiles)
{
    TempDir dir;
    writeText(dir.file("a-images-idx3-ubyte"), idxBytes({3, 2, 3}, std::vector<uint8_t>(10)));
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("a-images-idx3-ubyte")); }),
              dir.file("a-images-idx3-ubyte") + " is truncated: its header promises 18 bytes of data, it holds 10");
    writeText(dir.file("b-images-idx3-ubyte"), "PK\x03\x04 whatever");
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("b-images-idx3-ubyte")); }),
              dir.file("b-images-idx3-ubyte") + " is not an idx file (bad magic number)");
    writeText(dir.file("c-images-idx3-ubyte"), idxBytes({2, 1, 1}, {1, 2}));
    writeText(dir.file("c-labels-idx1-ubyte"), idxBytes({3}, {0, 1, 1}));
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("c-images-idx3-ubyte")); }),
              dir.file("c-labels-idx1-ubyte") + " has 3 labels for 2 images");
    writeGzip(dir.file("d-images-idx3-ubyte.gz"), idxBytes({1, 1, 1}, {1}));
    { // chop the gzip stream in half
        std::ifstream in(dir.file("d-images-idx3-ubyte.gz"), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        writeText(dir.file("d-images-idx3-ubyte.gz"), bytes.substr(0, bytes.size() / 2));
    }
    EXPECT_THAT(errorOf([&] { io::openDataset(dir.file("d-images-idx3-ubyte.gz")); }), HasSubstr("d-images-idx3-ubyte.gz"));
    // Found by fuzz_idx: images of no pixels reached OpenCV as empty matrices.
    writeText(dir.file("e-images-idx3-ubyte"), idxBytes({2, 0, 5}, {}));
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("e-images-idx3-ubyte")); }),
              dir.file("e-images-idx3-ubyte") + " holds images of 0x5 pixels: not images ConvScope can read");
    // Sizes whose product overflows 64 bits must not wrap round to what the file holds.
    writeText(dir.file("f-images-idx3-ubyte"), idxBytes({0xffffffffu, 0xffffffffu, 2}, std::vector<uint8_t>(64)));
    EXPECT_EQ(errorOf([&] { io::openDataset(dir.file("f-images-idx3-ubyte")); }),
              dir.file("f-images-idx3-ubyte") + " is truncated: its header promises more bytes of data than any file holds");
}

// Debian's dataset-fashion-mnist (scripts/setup.sh installs it): its known
// counts (6,000 a class to train, 1,000 to test) and first labels (9, 0, 0, 3
// in the training set; 9, 2, 1, 1 in the test set, as the dataset's own
// documentation and torchvision show them).
TEST(FashionMnist, BothSetsWithTheirNames)
{
    auto train = io::openDataset("fashion-mnist");
    auto test = io::openDataset("fashion-mnist-test");
    ASSERT_EQ(train->size(), 60000);
    ASSERT_EQ(test->size(), 10000);
    const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    EXPECT_EQ(train->classes(), names);
    EXPECT_EQ(test->classes(), names);
    EXPECT_EQ(train->description(), "Fashion-MNIST (60000 images, 10 classes)");
    EXPECT_EQ(test->description(), "Fashion-MNIST test set (10000 images, 10 classes)");
    EXPECT_EQ((std::vector<int64_t>{train->label(0), train->label(1), train->label(2), train->label(3)}),
              (std::vector<int64_t>{9, 0, 0, 3}));
    EXPECT_EQ((std::vector<int64_t>{test->label(0), test->label(1), test->label(2), test->label(3)}),
              (std::vector<int64_t>{9, 2, 1, 1}));
    std::vector<int64_t> perClass(10);
    for (int64_t i = 0; i < test->size(); ++i)
        ++perClass[static_cast<size_t>(test->label(i))];
    EXPECT_EQ(perClass, std::vector<int64_t>(10, 1000));
    EXPECT_EQ(train->image(0).sizes(), (std::vector<int64_t>{1, 28, 28}));

    // The official test set is walked whole, class by class in turn; the
    // training set is split as any dataset is.
    EXPECT_FALSE(train->isTestSet());
    EXPECT_TRUE(test->isTestSet());
    const Split split = splitDataset(*test);
    EXPECT_TRUE(split.train.empty());
    ASSERT_EQ(split.test.size(), 10000u);
    for (size_t i = 0; i < 20; ++i)
        EXPECT_EQ(test->label(split.test[i]), static_cast<int64_t>(i % 10));
    EXPECT_EQ(io::officialTestSet("fashion-mnist"), "fashion-mnist-test");
    EXPECT_EQ(io::officialTestSet("digits"), "");

    EXPECT_EQ(errorOf([&] { test->renameClasses({"a", "b"}); }),
              "the labels file has 2 names but Fashion-MNIST test set has 10 classes");
}

TEST(DigitsSheet, KnownLayout)
{
    auto digits = io::openDataset("digits");
    ASSERT_EQ(digits->size(), 5000);
    EXPECT_EQ(digits->classes().size(), 10u);
    for (int64_t i : {0, 499, 500, 2345, 4999})
        EXPECT_EQ(digits->label(i), i / 500);
    // Digit #123 is row 1, column 23 of the sheet, centred in 28x28 with 4 black pixels around.
    cv::Mat sheet = cv::imread(io::kDigitsSheet, cv::IMREAD_GRAYSCALE);
    auto image = digits->image(123);
    ASSERT_EQ(image.sizes(), (std::vector<int64_t>{1, 28, 28}));
    EXPECT_EQ(image.narrow(1, 0, 4).abs().sum().item<float>(), 0);
    EXPECT_EQ(image.narrow(2, 24, 4).abs().sum().item<float>(), 0);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 20; ++x)
            ASSERT_FLOAT_EQ(image[0][4 + y][4 + x].item<float>(), sheet.at<uint8_t>(20 + y, 23 * 20 + x) / 255.0f);
    // Asked for a colour 32x32 input, it delivers one.
    auto rgb = io::openDataset("digits", {3, 32, 32})->image(0);
    EXPECT_EQ(rgb.sizes(), (std::vector<int64_t>{3, 32, 32}));
}

TEST(DigitsSheet, WrongSheetIsRefusedFromItsHeader)
{
    TempDir dir;
    writePng(dir.file("small.png"), 0.5f, 30);
    EXPECT_EQ(errorOf([&] { io::openDigitsSheet({}, dir.file("small.png")); }),
              "the digits sheet " + dir.file("small.png") + " is 30x30, expected 2000x1000 (100 x 50 digits of 20x20)");
    writeText(dir.file("junk.png"), "not a png at all");
    EXPECT_EQ(errorOf([&] { io::openDigitsSheet({}, dir.file("junk.png")); }),
              "cannot decode the digits sheet " + dir.file("junk.png"));
}

TEST(Split, StratifiedFixedAndDisjoint)
{
    auto digits = io::openDataset("digits");
    const Split a = splitDataset(*digits);
    const Split b = splitDataset(*digits);
    EXPECT_EQ(a.test, b.test);
    ASSERT_EQ(a.test.size(), 1000u);
    ASSERT_EQ(a.train.size(), 4000u);
    std::vector<int> perClass(10);
    for (int64_t i : a.test)
        ++perClass[static_cast<size_t>(digits->label(i))];
    EXPECT_EQ(perClass, std::vector<int>(10, 100));
    // Consecutive test images cycle through the classes: 0, 1, …, 9, 0, 1, …
    for (size_t i = 0; i < a.test.size(); ++i)
        ASSERT_EQ(digits->label(a.test[i]), static_cast<int64_t>(i % 10)) << "test image " << i;
    EXPECT_EQ(a.test[0], 3); // the first zero of the split, as the GUI and `--index 0` show it
    std::set<int64_t> all(a.train.begin(), a.train.end());
    all.insert(a.test.begin(), a.test.end());
    EXPECT_EQ(all.size(), 5000u);
    EXPECT_NE(splitDataset(*digits, 0.2, 1).test, a.test);
}

TEST(Video, FramesAndEnd)
{
    TempDir dir;
    const std::string path = dir.file("clip.avi");
    ASSERT_TRUE(writeClip(path, 5, cv::Size(32, 24), [](int i) { return cv::Scalar(i * 50, i * 50, i * 50); }));
    auto frames = io::openDataset(path, {1, 12, 16});
    ASSERT_EQ(frames->size(), 5);
    EXPECT_NEAR(frames->image(3).mean().item<float>(), 150.0 / 255, 0.03);
    EXPECT_NEAR(frames->image(1).mean().item<float>(), 50.0 / 255, 0.03); // seeking back
    EXPECT_EQ(frames->image(1).sizes(), (std::vector<int64_t>{1, 12, 16}));
    auto source = io::VideoSource::open(path);
    int count = 0;
    while (source->next().defined())
        ++count;
    EXPECT_EQ(count, 5);
    EXPECT_EQ(errorOf([&] { io::VideoSource::open(dir.file("none.avi")); }), "video not found: " + dir.file("none.avi"));
    writeText(dir.file("fake.avi"), "not a video");
    EXPECT_THAT(errorOf([&] { io::openDataset(dir.file("fake.avi")); }), HasSubstr("fake.avi"));
}

// A video cut short (a download that stopped): the frames that are there
// read, the first missing one says so, and playing it simply ends.
TEST(Video, TruncatedFileEndsEarlyWithAMessage)
{
    TempDir dir;
    const std::string path = dir.file("cut.avi");
    ASSERT_TRUE(writeClip(path, 40, cv::Size(64, 48),
                          [](int i) { return cv::Scalar(i * 6, 255 - i * 6, (i * 37) % 256); }));
    fs::resize_file(path, fs::file_size(path) / 2);
    auto frames = io::openDataset(path, {1, 12, 16});
    int64_t readable = 0;
    std::string error;
    for (; readable < frames->size(); ++readable) {
        error = errorOf([&] { frames->image(readable); });
        if (error != "(no error)")
            break;
    }
    if (readable < frames->size()) {
        EXPECT_EQ(error, "frame " + std::to_string(readable) + " of " + path + " cannot be read (the video ends early)");
        EXPECT_GT(readable, 5);
    } else {
        EXPECT_LT(frames->size(), 40); // the count came from what is left
    }
    auto source = io::VideoSource::open(path);
    int played = 0;
    while (source->next().defined())
        ++played;
    EXPECT_GT(played, 5);
    EXPECT_LT(played, 40);
}

// A live source that stops mid-stream, as an unplugged camera or a dropped
// network stream does: GStreamer's test source sends six pure red frames, then
// nothing. (No camera can be unplugged on a test machine; the reader sees the
// same thing, a read that fails.)
TEST(Video, LiveStreamThatStopsSaysSo)
{
    const std::string spec
        = "gst:videotestsrc num-buffers=6 pattern=red ! video/x-raw,width=40,height=30 ! videoconvert ! appsink";
    EXPECT_TRUE(io::isLiveSpec(spec));
    auto source = io::VideoSource::open(spec, {3, 15, 20});
    EXPECT_TRUE(source->isLive());
    for (int i = 0; i < 6; ++i) {
        SCOPED_TRACE(i);
        const torch::Tensor frame = source->next();
        ASSERT_TRUE(frame.defined());
        ASSERT_EQ(frame.sizes(), (std::vector<int64_t>{3, 15, 20}));
        // Red is (1, 0, 0) in RGB order, give or take the YUV round trip.
        EXPECT_NEAR(frame[0].mean().item<float>(), 1.0, 0.03);
        EXPECT_NEAR(frame[1].mean().item<float>(), 0.0, 0.03);
        EXPECT_NEAR(frame[2].mean().item<float>(), 0.0, 0.03);
    }
    EXPECT_EQ(errorOf([&] { source->next(); }),
              "stream " + spec + " stopped delivering frames (it ended, or the connection dropped)");
}

TEST(Video, BrokenStreamsAreRefusedWithTheReason)
{
    EXPECT_EQ(errorOf([] { io::VideoSource::open("gst:videotestsrc ! fakesink"); }),
              "the GStreamer pipeline 'videotestsrc ! fakesink' must end in appsink");
    EXPECT_EQ(errorOf([] { io::VideoSource::open("gst:nosuchelement ! appsink"); }),
              "cannot start the GStreamer pipeline 'nosuchelement ! appsink' (an unknown element, or elements that do not link)");
    // Nothing listens on the discard port: the connection is refused at once.
    const std::string dead = "rtsp://127.0.0.1:9/live";
    EXPECT_EQ(errorOf([&] { io::VideoSource::open(dead); }),
              "cannot open stream " + dead + " (unreachable, or not a video stream)");
    EXPECT_EQ(errorOf([&] { io::openDataset(dead); }),
              dead + " is a live source (a camera or a stream), not a dataset: open it as video instead");
    EXPECT_TRUE(io::isLiveSpec("camera:0"));
    EXPECT_TRUE(io::isLiveSpec("/dev/video2"));
    EXPECT_TRUE(io::isLiveSpec("http://192.168.1.5:8080/video"));
    EXPECT_FALSE(io::isLiveSpec("camera:front"));
    EXPECT_FALSE(io::isLiveSpec("gstreamer.avi"));
    EXPECT_FALSE(io::isLiveSpec("clips/http.avi"));
}

// Header sizes against OpenCV's own encoders (odd sizes, so width and height
// cannot be swapped unnoticed), then the refusal of an image too large to decode:
// a real 9000×8000 PNG (a few hundred kilobytes of zeros), refused before decoding.
TEST(ImageHeader, SizesOfEveryFormatAndTheLimit)
{
    const cv::Mat image(37, 53, CV_8UC3, cv::Scalar(10, 200, 30));
    for (const std::string ext : {".png", ".jpg", ".bmp", ".webp"}) {
        SCOPED_TRACE(ext);
        std::vector<uchar> bytes;
        ASSERT_TRUE(cv::imencode(ext, image, bytes));
        const auto size = io::imageHeaderSize(std::string(bytes.begin(), bytes.end()));
        ASSERT_TRUE(size.has_value());
        EXPECT_EQ(size->width, 53);
        EXPECT_EQ(size->height, 37);
    }
    EXPECT_FALSE(io::imageHeaderSize("not an image").has_value());
    EXPECT_FALSE(io::imageHeaderSize("\x89PNG\r\n\x1a\n").has_value()); // cut before IHDR

    TempDir dir;
    const std::string big = dir.file("big.png");
    ASSERT_TRUE(cv::imwrite(big, cv::Mat::zeros(8000, 9000, CV_8UC1)));
    EXPECT_EQ(errorOf([&] { io::readImage(big, 1, 28, 28); }),
              "image " + big + " is 9000×8000 pixels: larger than the 64 Mpx ConvScope decodes (8192×8192); "
              "scale it down first");
    const std::string fits = dir.file("fits.png");
    ASSERT_TRUE(cv::imwrite(fits, cv::Mat::zeros(8192, 8192, CV_8UC1)));
    EXPECT_EQ(io::readImage(fits, 1, 28, 28).sizes(), (std::vector<int64_t>{1, 1, 28, 28}));
    // Found by fuzz_folder: two 32-bit sides multiplied past 2^63 (undefined behaviour) before the check.
    EXPECT_TRUE(io::tooLargeToDecode({3036020735, 4290032820}));
    EXPECT_TRUE(io::tooLargeToDecode({1, io::kMaxImagePixels + 1}));
    EXPECT_FALSE(io::tooLargeToDecode({8192, 8192}));
}

// A JPEG over the limit is decoded at a reduced scale (every input is resized
// anyway): a 9000×8000 photo, dark left of x = 4500 and bright right of it,
// still reads as those two halves at 28×28.
TEST(ImageHeader, BigJpegIsDecodedReduced)
{
    TempDir dir;
    const std::string photo = dir.file("photo.jpg");
    cv::Mat image(8000, 9000, CV_8UC1, cv::Scalar(20));
    image.colRange(4500, 9000).setTo(235);
    ASSERT_TRUE(cv::imwrite(photo, image));
    image.release();
    const torch::Tensor read = io::readImage(photo, 1, 28, 28);
    ASSERT_EQ(read.sizes(), (std::vector<int64_t>{1, 1, 28, 28}));
    EXPECT_NEAR(read.index({0, 0, torch::indexing::Slice(), torch::indexing::Slice(0, 13)}).mean().item<double>(),
                20 / 255.0, 2 / 255.0);
    EXPECT_NEAR(read.index({0, 0, torch::indexing::Slice(), torch::indexing::Slice(15, 28)}).mean().item<double>(),
                235 / 255.0, 2 / 255.0);
}
