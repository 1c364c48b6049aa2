-- cnn_zero_pad: surrounds each HxWxC image with PAD_T rows on top, PAD_B
-- rows below, PAD_L columns on the left and PAD_R on the right, every border
-- value PAD_VALUE (int8: 0 for a conv or average pool, -128 for a max pool),
-- giving HP x WP x C with HP = H + PAD_T + PAD_B, WP = W + PAD_L + PAD_R.
-- Beats in HWC order, images back to back; a beat carries LANES channels
-- (channel b*LANES + k of a pixel's beat b in byte k), so a pixel is C/LANES
-- beats and the border beat has PAD_VALUE in every lane.
--
-- How: counters walk the OUTPUT positions (row, col, channel). Inside the
-- original image the input beat is passed through (in_ready follows the
-- output stage); on the border PAD_VALUE is emitted and no input is taken.
-- An image's first beat waits until its first input beat is offered
-- (in_valid), so nothing of image n+1 appears before its data.
--
-- Cycle model: cycles per image = HP * WP * C / LANES (one output beat per
-- cycle; the input is idle on the border beats).
-- Latency: 1 cycle for an interior beat (it leaves the output register the
-- next cycle); an image's first input beat comes out (PAD_T*WP + PAD_L)*C/LANES + 1
-- cycles after it is offered (the top rows and the left columns go first).
-- Throughput: 1 output beat per cycle when out_ready stays high.
-- Backpressure: cnn_skid on the output; in_ready is low while the skid
-- register is full or while a border beat is being emitted. No beat lost.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use work.cnn_pkg.all;

entity cnn_zero_pad is
  generic (
    C         : positive := 1;
    H         : positive := 4;
    W         : positive := 4;
    PAD_T     : natural  := 0;
    PAD_L     : natural  := 0;
    PAD_B     : natural  := 0;
    PAD_R     : natural  := 0;
    PAD_VALUE : integer  := 0;    -- -128..127, the border's value
    LANES     : positive := 1     -- channels a beat (divides C): a pixel is C / LANES beats
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(8 * LANES - 1 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(8 * LANES - 1 downto 0)
  );
end entity;

architecture rtl of cnn_zero_pad is
  constant HP : positive := H + PAD_T + PAD_B;
  constant WP : positive := W + PAD_L + PAD_R;
  constant NBP  : positive := C / LANES;   -- beats a pixel
  -- The border beat: PAD_VALUE in every lane.
  function fill_beat return std_logic_vector is
    variable r : std_logic_vector(8 * LANES - 1 downto 0);
  begin
    for k in 0 to LANES - 1 loop
      r(8 * k + 7 downto 8 * k) := std_logic_vector(to_signed(PAD_VALUE, 8));
    end loop;
    return r;
  end function;
  constant FILL : std_logic_vector(8 * LANES - 1 downto 0) := fill_beat;
  signal row  : natural range 0 to HP - 1 := 0;
  signal col  : natural range 0 to WP - 1 := 0;
  signal ch   : natural range 0 to NBP - 1 := 0;   -- beat within the pixel
  signal inside   : std_logic;
  signal first    : std_logic;
  signal st_valid : std_logic;
  signal st_ready : std_logic;
  signal st_data  : std_logic_vector(8 * LANES - 1 downto 0);
begin
  assert C mod LANES = 0 report "cnn_zero_pad: LANES must divide C" severity failure;
  inside <= '1' when row >= PAD_T and row < PAD_T + H and col >= PAD_L and col < PAD_L + W else '0';
  -- An image starts only when its first input beat is offered, so no border
  -- beat of an image comes out before any of its data exists (the stream stays
  -- empty between images); after that the border flows without input.
  first    <= '1' when row = 0 and col = 0 and ch = 0 else '0';
  st_valid <= in_valid when inside = '1' or first = '1' else '1';
  st_data  <= in_data when inside = '1' else FILL;
  in_ready <= st_ready and inside;

  process (clk)
  begin
    if rising_edge(clk) then
      if st_valid = '1' and st_ready = '1' then
        if ch = NBP - 1 then
          ch <= 0;
          if col = WP - 1 then
            col <= 0;
            if row = HP - 1 then
              row <= 0;
            else
              row <= row + 1;
            end if;
          else
            col <= col + 1;
          end if;
        else
          ch <= ch + 1;
        end if;
      end if;
      if rst = '1' then
        row <= 0;
        col <= 0;
        ch  <= 0;
      end if;
    end if;
  end process;

  u_out : entity work.cnn_skid
    generic map (WIDTH => 8 * LANES)
    port map (clk => clk, rst => rst,
              in_valid => st_valid, in_ready => st_ready, in_data => st_data,
              out_valid => out_valid, out_ready => out_ready, out_data => out_data);
end architecture;
