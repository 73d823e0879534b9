#!/usr/bin/env bash
# Generates the demo seed's sample clips into internal/media/samples/: four short portrait
# (360x640, 5 s, 24 fps) H.264 Main + AAC MP4 test patterns with faststart, and one JPEG
# thumbnail per clip taken from a frame. The outputs are committed; rerun this script only to
# change them. Output is byte-for-byte reproducible for a given ffmpeg/x264 build and font:
# single-threaded x264, bitexact muxing, no metadata, encoder SEI stripped.
# Needs ffmpeg (with libx264, libfreetype) and the DejaVu fonts (Debian: ffmpeg, fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")/.."

out=internal/media/samples
font=${SAMPLES_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}

command -v ffmpeg >/dev/null 2>&1 || { echo "make-samples.sh: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
[ -r "$font" ] || { echo "make-samples.sh: font $font not found (apt-get install fonts-dejavu-core, or set SAMPLES_FONT)" >&2; exit 1; }
mkdir -p "$out"

W=360 H=640 FPS=24 DUR=5

# label TEXT: a drawtext filter that moves TEXT down the frame over the clip.
label() {
  printf "drawtext=fontfile=%s:text='%s':fontsize=40:fontcolor=white:borderw=3:bordercolor=black:x=(w-text_w)/2:y=40+t*(h-140)/%s" \
    "$font" "$1" "$DUR"
}

# make N SOURCE FILTERS FREQ: encode sampleN.mp4 from the lavfi SOURCE (video) and a sine of
# FREQ Hz (audio), then grab sampleN.jpg from the frame at 2 s.
make() {
  local n=$1 src=$2 filters=$3 freq=$4
  local mp4="$out/sample$n.mp4" jpg="$out/sample$n.jpg"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "$src" \
    -f lavfi -i "sine=frequency=$freq:sample_rate=44100" \
    -filter_complex "[0:v]$filters,format=yuv420p[v];[1:a]volume=0.2[a]" \
    -map '[v]' -map '[a]' -t "$DUR" \
    -c:v libx264 -threads 1 -profile:v main -level:v 3.0 -preset medium \
    -crf 28 -maxrate 420k -bufsize 840k -g 48 -bsf:v filter_units=remove_types=6 \
    -c:a aac -ac 1 -b:a 48k \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
    -movflags +faststart "$mp4"
  ffmpeg -hide_banner -loglevel error -y -ss 2 -i "$mp4" -frames:v 1 -q:v 6 \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact "$jpg"
}

make 1 "testsrc2=size=${W}x${H}:rate=$FPS" "$(label 'Sample 1')" 440
make 2 "smptebars=size=${W}x${H}:rate=$FPS" "$(label 'Sample 2')" 523.25
make 3 "mandelbrot=size=${W}x${H}:rate=$FPS:start_scale=3:end_scale=0.3" "$(label 'Sample 3')" 659.25
make 4 "gradients=size=${W}x${H}:rate=$FPS:n=3:c0=0xff0050:c1=0x00f2ea:c2=0x101010:x0=0:y0=0:x1=360:y1=640:speed=0.02:seed=42" "$(label 'Sample 4')" 783.99

ls -l "$out"
