-- cnn_conv: KH x KW convolution, strides STRIDE_H (rows) and STRIDE_W
-- (columns), no padding (an upstream cnn_zero_pad pads), bias, output stage
-- cnn_pkg.requant. Stream in: H x W x C_IN beats (HWC, int8, or uint8 when not
-- IN_SIGNED); stream out: H_OUT x W_OUT x C_OUT beats (HWC, int8), H_OUT =
-- (H - KH) / STRIDE_H + 1, W_OUT = (W - KW) / STRIDE_W + 1 (floor):
--     y[oy][ox][oc] = requant(BIAS[oc] + sum_{ky,kx,ic} x[oy*STRIDE_H+ky][ox*STRIDE_W+kx][ic]
--                                      * WEIGHTS[((oc*KH + ky)*KW + kx)*C_IN + ic])
-- with requant's upper clamp CLAMP_HI (127, or less for Clip(0, max)), or,
-- with ZP_OUT / CLAMP_LO, y = clamp(requant's rounding + ZP_OUT, CLAMP_LO,
-- CLAMP_HI) (cnn_mac), or with REQUANT_F32 onnxruntime's float32 stage
--     y = clamp(RNE(f32(f32(acc) * SCALES[oc])) + ZP_OUT, CLAMP_LO, CLAMP_HI)
-- (cnn_requant; SCALES: the float32 bit patterns, one per output channel).
-- Wide links: a beat carries IN_LANES input channels (channel b*IN_LANES + k
-- of a pixel's beat b in byte k; IN_LANES divides C_IN and PAR) and OUT_LANES
-- output channels (OUT_LANES divides C_OUT and PAR_OUT); 1 and 1 is the
-- one-byte stream.
--
-- Structure: a line buffer of NROWS = KH + RREL rows x W pixels, RREL =
-- min(STRIDE_H, KH) the rows released per output row, each pixel stored as
-- NG = ceil(C_IN / PAR) words of PAR bytes; rows that no window touches (the
-- bottom (H - KH) mod STRIDE_H rows, and the gaps when STRIDE_H > KH) are
-- consumed without being stored. The input side writes rows into free slots
-- while the compute side works on the KH rows of the current output row (a
-- row FIFO: full_rows / free_slots counters). The compute side works on a
-- group of PAR_OUT output channels at once (NOG = ceil(C_OUT / PAR_OUT) groups
-- per pixel; the last one has C_OUT - (NOG-1)*PAR_OUT real lanes, the others
-- compute zeros and are never emitted): every cycle it reads PAR_KY x PAR_KX
-- PAR-wide line-buffer words, the same channel word of the kernel rows ky =
-- kb*PAR_KY + j (j = 0..PAR_KY-1) and columns kx = ks*PAR_KX + k (k =
-- 0..PAR_KX-1), and multiplies them in each of PAR_OUT lanes by that lane's
-- weights (PAR * PAR_KY * PAR_KX * PAR_OUT multipliers; a row ky >= KH of the
-- last block, a column kx >= KW of the last step read some word and have
-- zero weights). It loops ox, group, kb, ks, g (g fastest; kb = 0..NKB-1, NKB
-- = ceil(KH / PAR_KY), ks = 0..NKX-1, NKX = ceil(KW / PAR_KX)); each
-- lane reads its own constant-array weight ROM at the same linear address and
-- has its own cnn_mac (accumulate, requantise; PAR * PAR_KY * PAR_KX bytes a
-- cycle, its adder tree one stage for any width). The line buffer is split
-- into column banks: column x of a row is in bank x mod PAR_KX at word
-- x / PAR_KX (WQ = floor((W + PAR_KX - 2) / PAR_KX) + 1 words a row: a last
-- step's columns past W read a spare word); a step's PAR_KX columns c0 ..
-- c0 + PAR_KX - 1 are one word of each bank (bank b at word floor(c0 /
-- PAR_KX), or the next when b < c0 mod PAR_KX, both kept as counters), and
-- a rotation by c0 mod PAR_KX puts them in column order. With PAR_KY > 1
-- each row slot has its own PAR_KX banks (NROWS * PAR_KX RAMs of WQ * NG
-- words, one write port, one registered read port: block RAM when large), and
-- a multiplexer on each row's slot index (registered with the read) rotates
-- them to the PAR_KY rows, after the column rotation (PAR_KX-to-1, then
-- NROWS-to-1). With PAR_KY = 1 each column bank holds all NROWS
-- slots (the slot in the address); PAR_KY = PAR_KX = 1 is one RAM, no
-- multiplexer. A group's PAR_OUT results enter the credit FIFO as one entry;
-- a serialiser on the FIFO's output sends them OUT_LANES a beat, one beat per
-- cycle, lane 0 first (HWC order, oc innermost).
--
-- Cycle model (no stalls from outside, images back to back), per image, with
-- ROW = W * C_IN / IN_LANES the beats of one input row, and in the formulas
-- below a group's "lanes" its beats (PAR_OUT / OUT_LANES, LAST / OUT_LANES):
--     KKN    = NKB*NKX*NG              (issue cycles per group)
--     NOG    = ceil(C_OUT / PAR_OUT)   (groups per output pixel)
--     T_ROW  = W_OUT * NOG * KKN       (issue cycles per output row)
--     R      = (KH - RREL) * ROW                          (refill)
--     TR     = (H - (H_OUT - 1) * STRIDE_H - KH) * ROW    (trailing rows)
--     T_IN   = H * ROW                                    (1 beat/cycle)
--     T_CONV = max(H_OUT * T_ROW + R,
--                  (KH + RREL) * ROW + TR + F)       (2nd: H_OUT >= 3)
--     F      = E(G) + 1, G = (H_OUT - 2) * W_OUT * NOG, with E(0) = P(0) = -1
--              and for the groups j = 1..G of an image:
--              E(j) = max(E(j-1) + KKN, P(j-D) + 1 if j > D),
--              P(j) = max(E(j) + 6 + X, P(j-1) + 1) + (lanes of group j) - 1
--              (F = (H_OUT - 2) * T_ROW when PAR_OUT <= KKN or G <= D)
--     T_OUT  = H_OUT * W_OUT * C_OUT / OUT_LANES + max(0, R + KKN + 6 + X + DW - S)
--     cycles/image = max(T_IN, T_CONV, T_OUT)
--   with LAST = C_OUT - (NOG - 1) * PAR_OUT (lanes of a pixel's last group),
--     D  = the output FIFO's entries: 8, or 8 + X with REQUANT_F32,
--     X  = the float stage's extra latency: 0, or 4 with REQUANT_F32,
--     S  = D * PAR_OUT - (floor((D - 1) / NOG) + 1) * (PAR_OUT - LAST)
--     DW = max(0, KKN - LAST - M * (PAR_OUT - KKN)) if PAR_OUT > KKN, else 0,
--     M  = (NOG - 1 - ((D - 1) mod NOG)) mod NOG.
-- T_CONV is the longest loop of the row FIFO through an image boundary (the
-- handshakes add no cycles: a release lets a row start the next cycle, a
-- completed row lets the issue go on the next cycle). First term, the refill:
-- the first output row of an image needs KH fresh rows, but only RREL of them
-- fit while the last output row of the previous image still holds its KH
-- rows; the issue waits R cycles for the others. Second term, when the input
-- was blocked: the release after output row H_OUT-3 lets the last RREL rows of
-- the image in; the input then passes them, the trailing rows and the next
-- image's first KH rows (all with free slots) while only H_OUT - 2 output rows
-- are issued (it wins when TR is long, e.g. stride 3 with (H - KH) mod 3 = 2).
-- F is that issue from an empty FIFO: E(j) ends group j (1-based) of the
-- image, whose last cycle waits for the credit of group j - D, freed by that
-- group's last beat P(j - D); a group's first beat comes 6 + X cycles after
-- its last issue cycle, or after the group before. With more beats per group
-- than KKN the credits make F longer than (H_OUT - 2) * T_ROW (block test
-- ky1_cred: 727 cycles, not 720).
-- T_OUT is the output link (1 beat/cycle), the limit when PAR_OUT > KKN: the
-- issue then runs ahead until the FIFO's 8 entries (groups) are full and
-- afterwards takes each freed entry at once. S is the beats of the image's
-- last D groups, which the link still sends after the entry freed for the
-- image's last group; the link idles when the refill plus the next image's
-- first group (R + KKN + 6 + X cycles from the last group's issue to the next
-- first beat) outlast them. DW: that last group's issue comes DW cycles after
-- its credit when the freed entry was a short one (LAST < KKN lanes; M full
-- entries later the PAR_OUT - KKN slack per entry has absorbed it). With
-- PAR_OUT = 1, T_OUT never exceeds T_CONV. Within an image there is no bubble
-- between output rows or pixels. The model was checked exactly against a
-- cycle-level simulation of these counters over thousands of random shapes
-- (KH, KW 1..11, strides 1..4, PAR, PAR_OUT, PAR_KY: it only sets KKN) and
-- against this entity in the block test (rtl/tests, pe_conv: measured ==
-- model for every config, PAR_KX and lanes included: LeNet's conv1 at
-- PAR_KY = PAR_KX = 5, PAR_OUT = OUT_LANES = 6 takes 784 cycles, its input).
-- Latency (image into an idle block, no stalls): the first output beat is
-- valid KH*ROW + KKN + 5 + X cycles after the first input beat is
-- accepted (the KH-th row completes; KKN issue cycles for the first group;
-- 5 stages: RAM/ROM read (and the row rotation), products, adder tree,
-- accumulator, requant into the FIFO; the float stage has 5 where requant
-- has 1). NG = ceil(C_IN / PAR), NKB = ceil(KH / PAR_KY) in all formulas.
--
-- Resources: PAR * PAR_KY * PAR_KX * PAR_OUT multipliers (8 x 9 bit);
-- PAR_OUT weight ROMs of NOG * NKB*NKX * NG words x (8*PAR*PAR_KY*PAR_KX + 1)
-- bits (the +1: see the salt below) and PAR_OUT bias ROMs of max(NOG, 2)
-- words x 33 bits; a line buffer of (KH + min(STRIDE_H, KH)) * WQ * NG words
-- x 8*PAR bits in PAR_KX banks (PAR_KY > 1: (KH + min(STRIDE_H, KH)) *
-- PAR_KX RAMs of WQ * NG words), and PAR_KY * PAR_KX multiplexers of as many
-- words; an output FIFO of D entries x 8*PAR_OUT bits. REQUANT_F32 adds per lane a scale ROM of
-- max(NOG, 2) words x 31 bits and a cnn_requant (a 24 x 24 multiplier).
--
-- Backpressure: out_ready low fills the output FIFO, then the issue stops
-- (credits); the line buffer then fills and in_ready drops at the start of a
-- row that has no free slot. Nothing is lost or duplicated.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_conv is
  generic (
    C_IN      : positive := 1;
    C_OUT     : positive := 1;
    H         : positive := 8;
    W         : positive := 8;
    KH        : positive := 3;       -- kernel rows (1..11)
    KW        : positive := 3;       -- kernel columns (1..11)
    STRIDE_H  : positive := 1;       -- row stride (1..4)
    STRIDE_W  : positive := 1;       -- column stride (1..4)
    PAR       : positive := 1;       -- input channels per cycle
    PAR_OUT   : positive := 1;       -- output channels per cycle (1..C_OUT)
    PAR_KY    : positive := 1;       -- kernel rows per cycle (1..KH)
    PAR_KX    : positive := 1;       -- kernel columns per cycle (1..KW)
    IN_LANES  : positive := 1;       -- input channels a beat (divides C_IN and PAR)
    OUT_LANES : positive := 1;       -- output channels a beat (divides C_OUT and PAR_OUT)
    WEIGHTS   : int_array;           -- C_OUT*KH*KW*C_IN, [oc][ky][kx][ic], -128..127
    BIAS      : int_array;           -- C_OUT, int32
    SHIFT     : integer  := 0;
    ACT       : natural  := ACT_NONE;
    LEAKY_K   : natural  := 0;
    CLAMP_HI  : integer  := 127;     -- upper clamp of y (-128..127)
    IN_SIGNED : boolean  := true;
    CLAMP_LO  : integer  := -128;    -- lower clamp of y (-128..CLAMP_HI)
    ZP_OUT    : integer  := 0;       -- zero point of y
    REQUANT_F32 : boolean := false;  -- float32 output stage with SCALES
    SCALES    : int_array := (0 => 0)  -- REQUANT_F32: C_OUT float32 bit patterns (positive normal)
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(8 * IN_LANES - 1 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(8 * OUT_LANES - 1 downto 0)
  );
end entity;

architecture rtl of cnn_conv is
  constant NG     : positive := ceil_div(C_IN, PAR);   -- words per pixel
  constant H_OUT  : positive := (H - KH) / STRIDE_H + 1;
  constant W_OUT  : positive := (W - KW) / STRIDE_W + 1;
  constant RREL   : positive := min_int(STRIDE_H, KH); -- rows released per output row
  constant NROWS  : positive := KH + RREL;             -- line buffer rows
  constant NKB    : positive := ceil_div(KH, PAR_KY);  -- kernel-row blocks
  constant KY_LAST : natural := (NKB - 1) * PAR_KY;    -- first row of the last block
  constant NKX    : positive := ceil_div(KW, PAR_KX);  -- kernel-column steps
  constant KX_LAST : natural := (NKX - 1) * PAR_KX;    -- first column of the last step
  constant MW     : positive := PAR * PAR_KY * PAR_KX;  -- bytes into cnn_mac per cycle
  constant NPB    : positive := PAR / IN_LANES;         -- input beats per line-buffer word
  -- Column banks: column x of a row in bank x mod PAR_KX at word x / PAR_KX;
  -- WQ words a row per bank (a step's columns past W read a spare word).
  constant WQ     : positive := (W + PAR_KX - 2) / PAR_KX + 1;
  constant SQ     : natural := STRIDE_W / PAR_KX;      -- an output column's step in words ...
  constant SR     : natural := STRIDE_W mod PAR_KX;    -- ... and in banks
  -- Line-buffer banks: one per row slot when PAR_KY > 1 (PAR_KY rows read in
  -- the same cycle), else one RAM of all NROWS slots (one block RAM, as
  -- before PAR_KY).
  function n_banks return positive is
  begin
    if PAR_KY > 1 then
      return NROWS;
    end if;
    return 1;
  end function;
  constant NB     : positive := n_banks;               -- row banks
  constant BANKED : boolean := NB > 1;
  constant BANK_WORDS : positive := NROWS / NB * WQ * NG;
  constant NOG    : positive := ceil_div(C_OUT, PAR_OUT); -- output-channel groups
  constant LAST   : positive := C_OUT - (NOG - 1) * PAR_OUT; -- lanes of the last group
  constant NW     : positive := NOG * NKB * NKX * NG;   -- words per lane's weight ROM
  constant BPG    : positive := PAR_OUT / OUT_LANES;    -- output beats of a group ...
  constant LASTB  : positive := LAST / OUT_LANES;       -- ... and of a pixel's last group
  -- At least 2 ROM words: GHDL 2.0 folds a one-word ROM into a constant and
  -- writes constants wider than 32 bits as Verilog string literals ("0101..",
  -- read as ASCII); a real ROM is written correctly. Word NW is never read.
  constant NWR    : positive := max_int(NW, 2);
  constant NBR    : positive := max_int(NOG, 2);        -- bias ROM words (same reason: never one word)
  -- |x * w| < 2^15, KH*KW*C_IN terms, |bias| <= 2^31: never overflows.
  constant ACC_W  : positive := max_int(33, clog2(KH * KW * C_IN) + 17);
  -- The float stage's extra latency (cnn_mac: 5 cycles instead of 1).
  function f32_extra return natural is
  begin
    if REQUANT_F32 then
      return 4;
    end if;
    return 0;
  end function;
  constant X_F32  : natural := f32_extra;
  constant FIFO_DEPTH : positive := 8 + X_F32;         -- > issue-to-push latency (5 + X)
  constant OW     : positive := 8 * PAR_OUT;            -- FIFO entry: one group

  subtype word_t is std_logic_vector(PAR * 8 - 1 downto 0);
  type word_array is array (natural range <>) of word_t;
  -- ROM words carry one extra bit, always '1' (the top bit), never used:
  -- GHDL 2.0 folds some small ROMs that contain an all-zero word (e.g. two
  -- 32-bit words, the second 0) into one constant and, when that constant is
  -- wider than 32 bits, writes it as all zeros (wrong hardware, silently). No
  -- salted word is zero; every ROM of >= 2 words then stays a real memory.
  subtype wrom_word_t is std_logic_vector(MW * 8 downto 0);
  type wrom_array is array (natural range <>) of wrom_word_t;
  type bias_array is array (natural range <>) of std_logic_vector(32 downto 0);

  -- Weight ROM of lane ln: word (((og*NKB + kb)*NKX + ks)*NG + g) holds, at
  -- byte (j*PAR_KX + k)*PAR + p, the weight of output channel oc =
  -- og*PAR_OUT + ln, kernel row ky = kb*PAR_KY + j, column kx = ks*PAR_KX + k,
  -- input channel g*PAR + p (zero beyond C_IN, C_OUT, KH or KW: the last
  -- block's rows ky >= KH and the last step's columns kx >= KW read some word
  -- and add nothing), the order of issue.
  function build_wrom(ln : natural) return wrom_array is
    variable r  : wrom_array(0 to NWR - 1) := (others => (others => '0'));
    variable ic, oc, ky, kx, b : natural;
    variable a  : natural;
  begin
    for i in 0 to NWR - 1 loop
      r(i)(MW * 8) := '1';    -- salt
    end loop;
    for og in 0 to NOG - 1 loop
      oc := og * PAR_OUT + ln;
      for kb in 0 to NKB - 1 loop
        for j in 0 to PAR_KY - 1 loop
          ky := kb * PAR_KY + j;
          for ks in 0 to NKX - 1 loop
            for k in 0 to PAR_KX - 1 loop
              kx := ks * PAR_KX + k;
              for gi in 0 to NG - 1 loop
                a := ((og * NKB + kb) * NKX + ks) * NG + gi;
                for p in 0 to PAR - 1 loop
                  ic := gi * PAR + p;
                  b  := (j * PAR_KX + k) * PAR + p;
                  if ky < KH and kx < KW and ic < C_IN and oc < C_OUT then
                    r(a)(8 * b + 7 downto 8 * b) := std_logic_vector(to_signed(
                      WEIGHTS(WEIGHTS'low + ((oc * KH + ky) * KW + kx) * C_IN + ic), 8));
                  end if;
                end loop;
              end loop;
            end loop;
          end loop;
        end loop;
      end loop;
    end loop;
    return r;
  end function;

  -- Bias ROM of lane ln: word og holds the bias of oc = og*PAR_OUT + ln.
  -- Word NOG (when NOG = 1) is never read: it keeps the ROM a memory, not a
  -- single wide constant.
  function build_brom(ln : natural) return bias_array is
    variable r : bias_array(0 to NBR - 1) := (others => (others => '0'));
  begin
    for og in 0 to NBR - 1 loop
      r(og)(32) := '1';       -- salt
    end loop;
    for og in 0 to NOG - 1 loop
      if og * PAR_OUT + ln < C_OUT then
        r(og)(31 downto 0) := std_logic_vector(to_signed(BIAS(BIAS'low + og * PAR_OUT + ln), 32));
      end if;
    end loop;
    return r;
  end function;

  -- Scale ROM of lane ln (REQUANT_F32): word og holds bits 30..0 of
  -- SCALES[og*PAR_OUT + ln] (the sign bit is 0); lanes beyond C_OUT and the
  -- spare word repeat word 0 of lane 0, so no word is zero (see the salt).
  type scale_array is array (natural range <>) of std_logic_vector(30 downto 0);
  function build_srom(ln : natural) return scale_array is
    variable r : scale_array(0 to NBR - 1);
  begin
    for og in 0 to NBR - 1 loop
      r(og) := std_logic_vector(to_unsigned(SCALES(SCALES'low), 31));
      if og < NOG and og * PAR_OUT + ln < C_OUT then
        r(og) := std_logic_vector(to_unsigned(SCALES(SCALES'low + og * PAR_OUT + ln), 31));
      end if;
    end loop;
    return r;
  end function;

  -- '1' for input rows some window reads.
  function build_row_used return std_logic_vector is
    variable r : std_logic_vector(0 to H - 1) := (others => '0');
  begin
    for oy in 0 to H_OUT - 1 loop
      for ky in 0 to KH - 1 loop
        r(oy * STRIDE_H + ky) := '1';
      end loop;
    end loop;
    return r;
  end function;

  constant ROW_USED : std_logic_vector(0 to H - 1) := build_row_used;

  -- Line buffer: NB * PAR_KX simple dual-port RAMs (one write, one registered
  -- read), bank (row bank rb, column bank bx) at rb * PAR_KX + bx; their read
  -- words.
  signal bank_q : word_array(0 to NB * PAR_KX - 1) := (others => (others => '0'));
  type slot_array is array (0 to PAR_KY - 1) of natural range 0 to NROWS - 1;
  type addr_array is array (0 to PAR_KX - 1) of natural range 0 to BANK_WORDS - 1;

  -- Input side.
  signal i_ch   : natural range 0 to C_IN - 1 := 0;    -- the beat's first channel
  signal i_x    : natural range 0 to W - 1 := 0;
  signal i_xq   : natural range 0 to WQ - 1 := 0;      -- i_x / PAR_KX
  signal i_xr   : natural range 0 to PAR_KX - 1 := 0;  -- i_x mod PAR_KX
  signal i_y    : natural range 0 to H - 1 := 0;
  signal i_pos  : natural range 0 to NPB - 1 := 0;     -- beat within the word
  signal i_grp  : natural range 0 to NG - 1 := 0;
  signal i_slot : natural range 0 to NROWS - 1 := 0;
  signal i_buf  : word_t := (others => '0');
  signal in_ready_i : std_logic;
  signal accept : std_logic;
  signal wr_en  : std_logic;
  signal wr_addr : natural range 0 to BANK_WORDS - 1;
  signal wr_bank : natural range 0 to NB * PAR_KX - 1;
  signal wr_word : word_t;
  signal pix_end : std_logic;                           -- the beat is its pixel's last
  signal word_end : std_logic;                          -- the beat completes a word

  -- Row FIFO bookkeeping (shared by both sides).
  signal full_rows  : natural range 0 to NROWS := 0;   -- stored, not released
  signal free_slots : natural range 0 to NROWS := NROWS; -- neither stored nor being written

  -- Compute side (issue stage).
  signal c_g    : natural range 0 to NG - 1 := 0;
  signal c_kx   : natural range 0 to KW - 1 := 0;       -- first column of the step
  signal c_kq   : natural range 0 to NKX := 0;          -- c_kx / PAR_KX (NKX: never, the range of a dead increment)
  signal c_ky   : natural range 0 to KH - 1 := 0;       -- first row of the block
  signal c_og   : natural range 0 to NOG - 1 := 0;    -- output-channel group
  signal c_ox   : natural range 0 to W_OUT - 1 := 0;
  signal c_oy   : natural range 0 to H_OUT - 1 := 0;
  signal c_colq : natural range 0 to WQ - 1 := 0;      -- (c_ox * STRIDE_W) / PAR_KX
  signal c_colr : natural range 0 to PAR_KX - 1 := 0;  -- (c_ox * STRIDE_W) mod PAR_KX
  signal c_wa   : natural range 0 to NWR - 1 := 0;
  signal c_head : natural range 0 to NROWS - 1 := 0;   -- slot of window row 0
  signal c_first, c_last : std_logic;
  signal issue  : std_logic;
  signal rd_addr : addr_array;                         -- per column bank
  signal c_slot : slot_array;                          -- slots of the block's rows
  signal can_reserve : std_logic;
  signal reserve : std_logic;

  -- Stage 1: RAM outputs rotated to the PAR_KY rows and PAR_KX columns (the
  -- ROM outputs are per lane), to the cnn_macs.
  signal m_valid, m_first, m_last : std_logic := '0';
  signal m_slot : slot_array := (others => 0);
  signal m_rot  : natural range 0 to PAR_KX - 1 := 0;  -- column bank of the step's first column
  signal m_x    : std_logic_vector(MW * 8 - 1 downto 0);
  -- One result per lane (lane ln at bits 8ln+7..8ln), pushed as one entry.
  signal r_valid : std_logic_vector(PAR_OUT - 1 downto 0);
  signal r_data  : std_logic_vector(OW - 1 downto 0);

  -- Output serialiser on the FIFO's head entry.
  signal f_valid, f_ready : std_logic;
  signal f_data  : std_logic_vector(OW - 1 downto 0);
  signal o_beat  : natural range 0 to BPG - 1 := 0;
  signal o_og    : natural range 0 to NOG - 1 := 0;
  signal o_end   : std_logic;                           -- o_beat is the entry's last
begin
  assert not REQUANT_F32 or SCALES'length = C_OUT
    report "cnn_conv: SCALES must hold C_OUT float32 bit patterns" severity failure;
  assert PAR_OUT <= C_OUT report "cnn_conv: PAR_OUT must be 1..C_OUT" severity failure;
  assert PAR_KY <= KH report "cnn_conv: PAR_KY must be 1..KH" severity failure;
  assert PAR_KX <= KW report "cnn_conv: PAR_KX must be 1..KW" severity failure;
  assert C_IN mod IN_LANES = 0 and PAR mod IN_LANES = 0
    report "cnn_conv: IN_LANES must divide C_IN and PAR" severity failure;
  assert C_OUT mod OUT_LANES = 0 and PAR_OUT mod OUT_LANES = 0
    report "cnn_conv: OUT_LANES must divide C_OUT and PAR_OUT" severity failure;
  assert KH <= H and KW <= W report "cnn_conv: the kernel is larger than the image" severity failure;

  ---------------------------------------------------------------- input side
  in_ready_i <= '0' when ROW_USED(i_y) = '1' and i_x = 0 and i_ch = 0 and free_slots = 0
                else '1';
  in_ready <= in_ready_i;
  accept   <= in_valid and in_ready_i;
  pix_end  <= '1' when i_ch = C_IN - IN_LANES else '0';
  word_end <= '1' when i_pos = NPB - 1 or pix_end = '1' else '0';

  process (all)
    variable wd : word_t;
  begin
    wd := i_buf;
    for p in 0 to NPB - 1 loop
      if p = i_pos then
        wd(8 * IN_LANES * p + 8 * IN_LANES - 1 downto 8 * IN_LANES * p) := in_data;
      end if;
    end loop;
    wr_word <= wd;
  end process;

  wr_en <= '1' when accept = '1' and ROW_USED(i_y) = '1' and word_end = '1' else '0';
  process (all)
  begin
    if BANKED then
      wr_bank <= i_slot * PAR_KX + i_xr;
      wr_addr <= i_xq * NG + i_grp;
    else
      wr_bank <= i_xr;
      wr_addr <= (i_slot * WQ + i_xq) * NG + i_grp;
    end if;
  end process;

  ---------------------------------------------------------------- compute side
  c_first <= '1' when c_g = 0 and c_kx = 0 and c_ky = 0 else '0';
  c_last  <= '1' when c_g = NG - 1 and c_kx = KX_LAST and c_ky = KY_LAST else '0';
  issue   <= '1' when full_rows >= KH and (can_reserve = '1' or c_last = '0') else '0';
  reserve <= issue and c_last;

  -- Slot of block row j: (c_head + c_ky + j) mod NROWS (c_ky + j < 2*KH,
  -- so two conditional subtractions, no mod). Column bank b reads the word of
  -- the step's column in it: the step reads columns c0 .. c0 + PAR_KX - 1,
  -- c0 = c_ox * STRIDE_W + c_kx = (c_colq + c_kq) * PAR_KX + c_colr, and
  -- bank b holds the one at word c_colq + c_kq, or the next word when b <
  -- c_colr.
  process (all)
    variable s, t : natural range 0 to 2 * NROWS;
    variable q : natural range 0 to WQ;
  begin
    s := c_head + c_ky;
    if s >= NROWS then
      s := s - NROWS;
    end if;
    for j in 0 to PAR_KY - 1 loop
      t := s + j;
      if t >= NROWS then
        t := t - NROWS;
      end if;
      c_slot(j) <= t;
    end loop;
    for b in 0 to PAR_KX - 1 loop
      q := c_colq + c_kq;
      if b < c_colr then
        q := q + 1;
      end if;
      if BANKED then
        rd_addr(b) <= q * NG + c_g;
      else
        rd_addr(b) <= (s * WQ + q) * NG + c_g;
      end if;
    end loop;
  end process;

  -- Line buffer RAMs (stage 1).
  banks : for bk in 0 to NB * PAR_KX - 1 generate
    signal mem : word_array(0 to BANK_WORDS - 1) := (others => (others => '0'));
  begin
    process (clk)
    begin
      if rising_edge(clk) then
        if wr_en = '1' and wr_bank = bk then
          mem(wr_addr) <= wr_word;
        end if;
        bank_q(bk) <= mem(rd_addr(bk mod PAR_KX));
      end if;
    end process;
  end generate;

  -- Rotation in two levels (registered with the read): first, in every row
  -- bank rb, column k of the step from column bank (m_rot + k) mod PAR_KX
  -- (PAR_KX-to-1); then row j of the block from the row bank of its slot
  -- (NB-to-1); bytes (j*PAR_KX + k)*PAR .. +PAR-1 of the cnn_mac word.
  process (all)
    type col_words is array (0 to NB - 1, 0 to PAR_KX - 1) of word_t;
    variable cw : col_words;
    variable d : word_t;
    variable bc : natural range 0 to 2 * PAR_KX;
    variable rb : natural range 0 to NB - 1;
  begin
    for k in 0 to PAR_KX - 1 loop
      bc := m_rot + k;
      if bc >= PAR_KX then
        bc := bc - PAR_KX;
      end if;
      for r in 0 to NB - 1 loop
        d := bank_q(r * PAR_KX);
        for bx in 1 to PAR_KX - 1 loop
          if bx = bc then
            d := bank_q(r * PAR_KX + bx);
          end if;
        end loop;
        cw(r, k) := d;
      end loop;
    end loop;
    for j in 0 to PAR_KY - 1 loop
      rb := 0;
      if BANKED then
        rb := m_slot(j);
      end if;
      for k in 0 to PAR_KX - 1 loop
        d := cw(0, k);
        for r in 1 to NB - 1 loop
          if r = rb then
            d := cw(r, k);
          end if;
        end loop;
        m_x(8 * PAR * (j * PAR_KX + k) + 8 * PAR - 1 downto 8 * PAR * (j * PAR_KX + k)) <= d;
      end loop;
    end loop;
  end process;

  process (clk)
    variable claim, row_done : natural range 0 to 1;
    variable rel_rows : natural range 0 to KH;
    variable hd : natural range 0 to 2 * NROWS;
    variable cr : natural range 0 to 2 * PAR_KX + STRIDE_W;
    variable cq : natural range 0 to WQ + SQ + 1;
  begin
    if rising_edge(clk) then
      claim    := 0;
      row_done := 0;
      rel_rows  := 0;

      -- Input counters.
      if accept = '1' then
        if ROW_USED(i_y) = '1' then
          if i_x = 0 and i_ch = 0 then
            claim := 1;
          end if;
          -- (word_end and pix_end written out, here and below, so that GHDL
          -- folds the dead increments away when NPB = 1 or C_IN = IN_LANES.)
          if i_pos = NPB - 1 or i_ch = C_IN - IN_LANES then
            i_pos <= 0;
            if pix_end = '1' or i_grp = NG - 1 then
              i_grp <= 0;
            else
              i_grp <= i_grp + 1;
            end if;
          else
            i_buf <= wr_word;
            i_pos <= i_pos + 1;
          end if;
        end if;
        if i_ch = C_IN - IN_LANES then
          i_ch <= 0;
          if i_x = W - 1 then
            i_x  <= 0;
            i_xq <= 0;
            i_xr <= 0;
            if ROW_USED(i_y) = '1' then
              row_done := 1;
              if i_slot = NROWS - 1 then
                i_slot <= 0;
              else
                i_slot <= i_slot + 1;
              end if;
            end if;
            if i_y = H - 1 then
              i_y <= 0;
            else
              i_y <= i_y + 1;
            end if;
          else
            i_x <= i_x + 1;
            if i_xr = PAR_KX - 1 then
              i_xr <= 0;
              i_xq <= i_xq + 1;
            else
              i_xr <= i_xr + 1;
            end if;
          end if;
        else
          i_ch <= i_ch + IN_LANES;
        end if;
      end if;

      -- Issue counters: g fastest, then kx (PAR_KX columns a step), ky
      -- (PAR_KY rows a step), og, ox, oy.
      m_valid <= issue;
      m_first <= c_first;
      m_last  <= c_last;
      m_slot  <= c_slot;
      m_rot   <= c_colr;
      if issue = '1' then
        if c_g /= NG - 1 then
          c_g <= c_g + 1;
          c_wa <= c_wa + 1;
        else
          c_g <= 0;
          if c_kx /= KX_LAST then
            c_kx <= c_kx + PAR_KX;
            c_kq <= c_kq + 1;
            c_wa <= c_wa + 1;
          else
            c_kx <= 0;
            c_kq <= 0;
            if c_ky /= KY_LAST then
              c_ky <= c_ky + PAR_KY;
              c_wa <= c_wa + 1;
            else
              c_ky <= 0;
              if c_og /= NOG - 1 then
                c_og <= c_og + 1;
                c_wa <= c_wa + 1;
              else
                c_og <= 0;
                c_wa <= 0;
                if c_ox /= W_OUT - 1 then
                  c_ox  <= c_ox + 1;
                  cr := c_colr + SR;
                  cq := c_colq + SQ;
                  if cr >= PAR_KX then
                    cr := cr - PAR_KX;
                    cq := cq + 1;
                  end if;
                  c_colr <= cr;
                  c_colq <= cq;
                else
                  -- End of an output row: release its rows.
                  c_ox   <= 0;
                  c_colq <= 0;
                  c_colr <= 0;
                  if c_oy /= H_OUT - 1 then
                    c_oy <= c_oy + 1;
                    rel_rows := RREL;
                  else
                    c_oy <= 0;
                    rel_rows := KH;
                  end if;
                  hd := c_head + rel_rows;
                  if hd >= NROWS then
                    hd := hd - NROWS;
                  end if;
                  c_head <= hd;
                end if;
              end if;
            end if;
          end if;
        end if;
      end if;

      full_rows  <= full_rows + row_done - rel_rows;
      free_slots <= free_slots - claim + rel_rows;

      if rst = '1' then
        i_ch <= 0; i_x <= 0; i_xq <= 0; i_xr <= 0; i_y <= 0; i_pos <= 0; i_grp <= 0; i_slot <= 0;
        full_rows <= 0; free_slots <= NROWS;
        c_g <= 0; c_kx <= 0; c_kq <= 0; c_ky <= 0; c_og <= 0; c_ox <= 0; c_oy <= 0;
        c_colq <= 0; c_colr <= 0; c_wa <= 0; c_head <= 0;
        m_valid <= '0';
      end if;
    end if;
  end process;

  -- PAR_OUT lanes: weight and bias ROMs (stage 1) and a cnn_mac each.
  lanes : for ln in 0 to PAR_OUT - 1 generate
    constant WROM : wrom_array(0 to NWR - 1) := build_wrom(ln);
    constant BROM : bias_array(0 to NBR - 1) := build_brom(ln);
    signal m_w    : wrom_word_t := (others => '0');              -- with the salt bit
    signal m_bias : std_logic_vector(32 downto 0) := (others => '0');
    signal m_scale : std_logic_vector(30 downto 0) := (others => '0');
  begin
    process (clk)
    begin
      if rising_edge(clk) then
        m_w    <= WROM(c_wa);
        m_bias <= BROM(c_og);
      end if;
    end process;

    g_srom : if REQUANT_F32 generate
      constant SROM : scale_array(0 to NBR - 1) := build_srom(ln);
    begin
      process (clk)
      begin
        if rising_edge(clk) then
          m_scale <= SROM(c_og);
        end if;
      end process;
    end generate;

    mac : entity work.cnn_mac
      generic map (
        PAR => MW, ACC_W => ACC_W, IN_SIGNED => IN_SIGNED,
        SHIFT => SHIFT, ACT => ACT, LEAKY_K => LEAKY_K, CLAMP_HI => CLAMP_HI,
        CLAMP_LO => CLAMP_LO, ZP_OUT => ZP_OUT, REQUANT_F32 => REQUANT_F32)
      port map (
        clk => clk, rst => rst,
        in_valid => m_valid, in_first => m_first, in_last => m_last,
        in_x => m_x, in_w => m_w(MW * 8 - 1 downto 0), in_bias => m_bias(31 downto 0),
        in_scale => '0' & m_scale,
        out_valid => r_valid(ln), out_data => r_data(8 * ln + 7 downto 8 * ln));
  end generate;

  -- Every lane's result is valid in the same cycle (same control inputs).
  fifo : entity work.cnn_credit_fifo
    generic map (WIDTH => OW, DEPTH => FIFO_DEPTH)
    port map (
      clk => clk, rst => rst,
      reserve => reserve, can_reserve => can_reserve,
      in_valid => r_valid(0), in_data => r_data,
      out_valid => f_valid, out_ready => f_ready, out_data => f_data);

  ---------------------------------------------------------------- serialiser
  -- The head entry goes out OUT_LANES lanes a beat (BPG beats); it leaves the
  -- FIFO with its last real beat (LASTB beats in the pixel's last group). No
  -- added latency; the data of a waiting beat is a register (the FIFO
  -- memory), so it is stable.
  o_end <= '1' when o_beat = BPG - 1 or (o_og = NOG - 1 and o_beat = LASTB - 1) else '0';
  f_ready   <= out_ready and o_end;
  out_valid <= f_valid;

  process (all)
    variable d : std_logic_vector(8 * OUT_LANES - 1 downto 0);
  begin
    d := f_data(8 * OUT_LANES - 1 downto 0);
    for bt in 1 to BPG - 1 loop
      if bt = o_beat then
        d := f_data(8 * OUT_LANES * bt + 8 * OUT_LANES - 1 downto 8 * OUT_LANES * bt);
      end if;
    end loop;
    out_data <= d;
  end process;

  process (clk)
  begin
    if rising_edge(clk) then
      if f_valid = '1' and out_ready = '1' then
        -- (o_beat /= BPG - 1 is implied by o_end = '0'; written out so that
        -- GHDL folds the increment away when BPG = 1.)
        if o_end = '0' and o_beat /= BPG - 1 then
          o_beat <= o_beat + 1;
        else
          o_beat <= 0;
          if o_og /= NOG - 1 then
            o_og <= o_og + 1;
          else
            o_og <= 0;
          end if;
        end if;
      end if;
      if rst = '1' then
        o_beat <= 0;
        o_og   <= 0;
      end if;
    end if;
  end process;
end architecture;
